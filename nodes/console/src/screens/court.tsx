// The court's case view (#/court/0x…): the loan's dispute stage and case as the chain states them,
// and the package check (POST /v1/cases/{id}/package-checks) — the court's node fetches the
// loan's evidence set from its branch and checks each item against its bundle and the whole against
// the loan's evidence chain; each item is shown with its verification result.
import { Alert, Button, Descriptions, Space, Tag } from "antd";
import { useState } from "react";
import { api } from "../api.ts";
import { useT } from "../i18n.ts";
import { CardTable, ErrorLine, codeColumn, describe, useLoad } from "./common.tsx";
import { CaseCard, oneLoanScreen, type ChainCase } from "./post-loan.tsx";
import { useMembers } from "../members.tsx";

type Outcome = "verified" | "altered" | "bad-bundle" | "wrong-loan" | "unexpected";
type PackageCheck = {
  loanId: string;
  from: number;
  ok: boolean;
  evidenceChain: { onChain: string; reproduced: string | null; matches: boolean };
  items: Array<{ role: string; label: string; leafHash: string; outcome: Outcome; reason: string }>;
  application: { applicationId: string; originator: number; matches: boolean } | null;
  missing: Array<{ role: string; label: string; chainValue: string }>;
};

const yes = (ok: boolean, t: (k: "evidenceChainMatch" | "evidenceChainMismatch") => string) => (
  <Tag color={ok ? "green" : "red"}>{t(ok ? "evidenceChainMatch" : "evidenceChainMismatch")}</Tag>
);

const wrapped = (text: string) => <span style={{ wordBreak: "break-all" }}>{text}</span>;

function PackageResult({ check }: { check: PackageCheck }) {
  const { t } = useT();
  const members = useMembers();
  return (
    <Space orientation="vertical" style={{ width: "100%" }} size="middle" data-testid="package-check">
      <Alert
        type={check.ok ? "success" : "error"}
        data-testid="package-verdict"
        showIcon
        title={t(check.ok ? "packageOk" : "packageBad")}
        description={`${t("from")}: ${members.name(check.from)}`}
      />
      <Descriptions size="small" bordered column={1}>
        <Descriptions.Item label={t("evidence")}>{yes(check.evidenceChain.matches, t)}</Descriptions.Item>
        <Descriptions.Item label={t("chain")}>
          <code style={{ wordBreak: "break-all" }}>{check.evidenceChain.onChain}</code>
        </Descriptions.Item>
        {check.application === null ? null : (
          <Descriptions.Item label={t("applicationCheck")}>
            <Tag color={check.application.matches ? "green" : "red"}>
              {check.application.matches ? "✓" : "✗"}
            </Tag>
            <code>{check.application.applicationId}</code>
          </Descriptions.Item>
        )}
      </Descriptions>
      <CardTable
        title={t("item")}
        rowKey="leafHash"
        dataSource={check.items}
        onRow={(item) => ({ style: item.outcome === "verified" ? {} : { background: "#fff1f0" } })}
        // fixed widths: a voucher's label is a hash and the reason a paragraph; both wrap in their share
        tableLayout="fixed"
        columns={[
          { title: t("item"), dataIndex: "label", width: "25%", render: wrapped },
          {
            title: t("verification"),
            dataIndex: "outcome",
            width: 100,
            render: (o: Outcome) => <Tag color={o === "verified" ? "green" : "red"}>{o}</Tag>,
          },
          { title: t("note"), dataIndex: "reason", width: "40%" },
          {
            title: t("leaf"),
            dataIndex: "leafHash",
            width: "25%",
            render: (h: string) => <code style={{ wordBreak: "break-all" }}>{h}</code>,
          },
        ]}
      />
      {check.missing.length === 0 ? null : (
        <CardTable
          title={t("missingItems")}
          rowKey="role"
          dataSource={check.missing}
          columns={[{ title: t("item"), dataIndex: "label" }, codeColumn(t("chain"), "chainValue")]}
        />
      )}
    </Space>
  );
}

function CourtCase({ loanId }: { loanId: string }) {
  const { t } = useT();
  const id = encodeURIComponent(loanId);
  const view = useLoad(() => api<ChainCase>("GET", `/v1/cases/${id}`), [id]);
  const [check, setCheck] = useState<PackageCheck>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const runCheck = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setCheck(await api<PackageCheck>("POST", `/v1/cases/${id}/package-checks`));
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Space orientation="vertical" style={{ width: "100%" }} size="middle">
      <a href="#/court">← {t("courtCase")}</a>
      <CaseCard loanId={loanId} view={view}>
        <Button type="primary" style={{ marginTop: 12 }} loading={busy} onClick={() => void runCheck()}>
          {t("packageCheck")}
        </Button>
      </CaseCard>
      <ErrorLine error={error} />
      {check === undefined ? null : <PackageResult check={check} />}
    </Space>
  );
}

export const CourtScreen = oneLoanScreen("courtCase", "court", CourtCase);
