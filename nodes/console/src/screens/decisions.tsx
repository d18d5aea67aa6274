// The decision and manual-review queue (GET /v1/decisions/queue): an approver runs the credit
// decision for an application (a fresh credit query, then POST /v1/decisions) and answers
// referrals (POST /v1/decisions/queue/{id}); above the policy's threshold a second, different
// approver completes the approval (maker-checker: the node refuses the same approver twice).
import { Button, Card, Descriptions, Form, Input, Space, Tag, Typography, message } from "antd";
import { useState } from "react";
import { api } from "../api.ts";
import { yuanToFen } from "../format.ts";
import { useT } from "../i18n.ts";
import { ErrorLine, ListTable, codeColumn, describe, useLoad } from "./common.tsx";

type Waiting = {
  applicationId: string;
  referral: string;
  needsSecondApprover: boolean;
  approvedBy?: string[];
};
type DecisionRecord = { decisionId: string; applicationId: string; outcome: string; reasons: string[] };

export function DecisionsScreen({ role }: { role: string }) {
  const { t } = useT();
  const approver = role === "approver" || role === "admin";
  const queue = useLoad(() => api<{ waiting: Waiting[] }>("GET", "/v1/decisions/queue"), []);
  const [error, setError] = useState<string>();
  const [last, setLast] = useState<DecisionRecord>();
  const [busy, setBusy] = useState<string>();

  const answer = async (applicationId: string, outcome: "approve" | "decline") => {
    setBusy(`${applicationId}:${outcome}`);
    setError(undefined);
    try {
      const reply = await api<{ record?: DecisionRecord; awaiting?: { approvedBy: string[] } }>(
        "POST",
        `/v1/decisions/queue/${encodeURIComponent(applicationId)}`,
        { outcome },
      );
      if (reply.record !== undefined) setLast(reply.record);
      void message.success(reply.awaiting !== undefined ? t("approvedOnce") : t("decided"));
      await queue.reload();
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(undefined);
    }
  };

  const run = async (v: { applicationId: string; monthlyIncome: string }) => {
    setError(undefined);
    const monthlyIncomeFen = yuanToFen(v.monthlyIncome);
    if (monthlyIncomeFen === undefined) return setError(`${t("monthlyIncome")}: ${v.monthlyIncome}`);
    try {
      await api("POST", "/v1/credit-queries", { applicationId: v.applicationId, purpose: "LOAN_APPROVAL" });
      const reply = await api<{ record: DecisionRecord }>("POST", "/v1/decisions", {
        applicationId: v.applicationId,
        monthlyIncomeFen,
      });
      setLast(reply.record);
      await queue.reload();
    } catch (e) {
      setError(describe(e));
    }
  };

  return (
    <Space orientation="vertical" style={{ width: "100%" }} size="middle">
      {approver ? (
        <Card title={t("runDecision")} size="small">
          <Form layout="inline" onFinish={run}>
            <Form.Item name="applicationId" label={t("applicationId")} rules={[{ required: true }]}>
              <Input style={{ width: 260 }} />
            </Form.Item>
            <Form.Item name="monthlyIncome" label={t("monthlyIncome")} rules={[{ required: true }]}>
              <Input style={{ width: 160 }} />
            </Form.Item>
            <Button htmlType="submit" type="primary">
              {t("runDecision")}
            </Button>
          </Form>
        </Card>
      ) : null}
      <ErrorLine error={error} />
      {last === undefined ? null : (
        <Descriptions bordered size="small" column={1} data-testid="last-decision">
          <Descriptions.Item label={t("applicationId")}>{last.applicationId}</Descriptions.Item>
          <Descriptions.Item label={t("outcome")}>
            <Tag color={last.outcome === "approve" ? "green" : last.outcome === "decline" ? "red" : "orange"}>
              {last.outcome}
            </Tag>
          </Descriptions.Item>
          <Descriptions.Item label={t("reasons")}>{last.reasons.join(", ") || "—"}</Descriptions.Item>
        </Descriptions>
      )}
      <Card
        title={t("decisions")}
        extra={<Button onClick={() => void queue.reload()}>{t("refresh")}</Button>}
      >
        <ListTable
          rowKey="applicationId"
          loaded={queue}
          rows={queue.data?.waiting}
          columns={[
            codeColumn(t("applicationId"), "applicationId"),
            {
              title: t("state"),
              render: (_: unknown, w) => (
                <Space orientation="vertical" size={0}>
                  <Tag color={w.needsSecondApprover ? "purple" : "orange"}>
                    {w.needsSecondApprover ? t("needsSecond") : t("waiting")}
                  </Tag>
                  {w.approvedBy === undefined || w.approvedBy.length === 0 ? null : (
                    <Typography.Text type="secondary">{w.approvedBy.join(", ")}</Typography.Text>
                  )}
                </Space>
              ),
            },
            {
              title: t("action"),
              render: (_: unknown, w) =>
                approver ? (
                  <Space>
                    <Button
                      type="primary"
                      size="small"
                      loading={busy === `${w.applicationId}:approve`}
                      onClick={() => void answer(w.applicationId, "approve")}
                    >
                      {t("approve")}
                    </Button>
                    <Button danger size="small" onClick={() => void answer(w.applicationId, "decline")}>
                      {t("decline")}
                    </Button>
                  </Space>
                ) : null,
            },
          ]}
        />
      </Card>
    </Space>
  );
}
