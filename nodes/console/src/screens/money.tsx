// Disbursement and repayment entry: this member's disbursement of its share (POST
// /v1/loans/{id}/disbursements) and a repayment received (POST /v1/loans/{id}/repayments).
// Amounts are typed in yuan and sent in fen, exactly.
import { Button, Card, Col, Form, Input, Row, Typography } from "antd";
import { useState } from "react";
import { api } from "../api.ts";
import { yuanToFen } from "../format.ts";
import { useT } from "../i18n.ts";
import { ErrorLine, describe } from "./common.tsx";

type Entry = { loanId: string; serial: string; amount: string; accountHash?: string };

function FlowForm({ kind }: { kind: "disbursement" | "repayment" }) {
  const { t } = useT();
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const submit = async (v: Entry) => {
    setError(undefined);
    setDone(undefined);
    const amountFen = yuanToFen(v.amount);
    if (amountFen === undefined) return setError(`${t("amountYuan")}: ${v.amount}`);
    try {
      const body =
        kind === "disbursement"
          ? { serial: v.serial, amountFen, accountHash: v.accountHash }
          : { serial: v.serial, amountFen };
      await api("POST", `/v1/loans/${encodeURIComponent(v.loanId.trim())}/${kind}s`, body);
      setDone(`${t("recorded")}: ${v.serial}`);
    } catch (e) {
      setError(describe(e));
    }
  };
  return (
    <Card title={t(kind)} size="small">
      <Form layout="vertical" onFinish={submit}>
        <Form.Item name="loanId" label={t("loanId")} rules={[{ required: true }]}>
          <Input placeholder="0x…" />
        </Form.Item>
        <Form.Item name="serial" label={t("serial")} rules={[{ required: true }]}>
          <Input />
        </Form.Item>
        <Form.Item
          name="amount"
          label={t("amountYuan")}
          rules={[{ required: true, pattern: /^\d+(\.\d{1,2})?$/ }]}
        >
          <Input inputMode="decimal" />
        </Form.Item>
        {kind === "disbursement" ? (
          <Form.Item name="accountHash" label={t("accountHash")} rules={[{ required: true }]}>
            <Input placeholder="0x…" />
          </Form.Item>
        ) : null}
        <ErrorLine error={error} />
        {done === undefined ? null : <Typography.Paragraph type="success">{done}</Typography.Paragraph>}
        <Button type="primary" htmlType="submit">
          {t("submit")}
        </Button>
      </Form>
    </Card>
  );
}

export function MoneyScreen() {
  return (
    <Row gutter={[16, 16]}>
      <Col xs={24} lg={12}>
        <FlowForm kind="disbursement" />
      </Col>
      <Col xs={24} lg={12}>
        <FlowForm kind="repayment" />
      </Col>
    </Row>
  );
}
