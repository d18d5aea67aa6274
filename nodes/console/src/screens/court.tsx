// The court's case view (#/court/0x…): the loan's dispute stage and case as the chain states them,
// and the package check (POST /v1/cases/{id}/package-checks) — the court's node fetches the
// loan's evidence set from its branch and checks each item against its bundle and the whole against
// the loan's evidence chain against the court's own chain endpoint; the verdict (verified, verified
// with exceptions, incomplete, not verified), each item's status with what passed, failed and was
// not decided, the items pending anchoring and the items missing, in words Chinese first, then
// English (court-package/names.ts, the API's and the certificate's).
import { Alert, Button, Descriptions, Space, Tag } from "antd";
import { useState } from "react";
import { api } from "../api.ts";
import { useT } from "../i18n.ts";
import { CardTable, ErrorLine, codeColumn, describe, useLoad } from "./common.tsx";
import { CaseCard, oneLoanScreen, type ChainCase } from "./post-loan.tsx";
import { useMembers } from "../members.tsx";

/** One status per item (court-package/check.ts): original-verified is the original with a failed time or lifecycle check. */
type ItemOutcome = "verified" | "original-verified" | "altered" | "bad-bundle" | "wrong-loan" | "unexpected";
type PackageCheck = {
  loanId: string;
  from: number;
  ok: boolean;
  verdict: "verified" | "verified-with-exceptions" | "incomplete" | "not-verified";
  /** The verdict in words, Chinese first, then English. */
  verdictSummary: string;
  evidenceChain: { onChain: string; reproduced: string | null; matches: boolean };
  /** `summary`: the status and its checks by result, Chinese first, then English. */
  items: Array<{
    role: string;
    label: string;
    leafHash: string;
    outcome: ItemOutcome;
    reason: string;
    summary: string;
  }>;
  application: { applicationId: string; originator: number; matches: boolean } | null;
  missing: Array<{ role: string; label: string; chainValue: string }>;
  /** Records the owning nodes hold but have not anchored yet: neither verified nor withheld. */
  pending: Array<{ role: string; label: string; leafHash: string; since: string | null }>;
};

const OUTCOME_COLORS: Record<ItemOutcome, string> = {
  verified: "green",
  "original-verified": "orange",
  altered: "red",
  "bad-bundle": "red",
  "wrong-loan": "red",
  unexpected: "red",
};

/** Not in the node's catalogue of screens' words: the package check's own, Chinese first. */
const PENDING_TITLE = "待上链存证（未核验，并非缺失）Pending anchoring (not verified, not withheld)";
const SINCE = "起始 since";

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
        type={
          check.verdict === "verified"
            ? "success"
            : check.ok || check.verdict === "incomplete"
              ? "warning"
              : "error"
        }
        data-testid="package-verdict"
        data-verdict={check.verdict}
        showIcon
        title={t(check.ok ? "packageOk" : "packageBad")}
        description={
          <>
            <div data-testid="package-verdict-words">{check.verdictSummary}</div>
            <div>{`${t("from")}: ${members.name(check.from)}`}</div>
          </>
        }
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
        onRow={(item) => ({
          style:
            item.outcome === "verified"
              ? {}
              : { background: item.outcome === "original-verified" ? "#fffbe6" : "#fff1f0" },
        })}
        // fixed widths: a voucher's label is a hash and the reason a paragraph; both wrap in their share
        tableLayout="fixed"
        columns={[
          { title: t("item"), dataIndex: "label", width: "25%", render: wrapped },
          {
            title: t("verification"),
            dataIndex: "outcome",
            width: 100,
            render: (o: ItemOutcome) => <Tag color={OUTCOME_COLORS[o]}>{o}</Tag>,
          },
          {
            title: t("note"),
            dataIndex: "summary",
            width: "40%",
            // the status and its checks in words; the node's reason where something did not pass
            render: (summary: string, item) => (
              <span data-testid="item-status">
                {summary}
                {item.outcome === "verified" ? null : (
                  <>
                    <br />
                    <small style={{ color: "#666" }}>{item.reason}</small>
                  </>
                )}
              </span>
            ),
          },
          {
            title: t("leaf"),
            dataIndex: "leafHash",
            width: "25%",
            render: (h: string) => <code style={{ wordBreak: "break-all" }}>{h}</code>,
          },
        ]}
      />
      {check.pending.length === 0 ? null : (
        <CardTable
          title={PENDING_TITLE}
          data-testid="package-pending"
          rowKey="leafHash"
          dataSource={check.pending}
          columns={[
            { title: t("item"), dataIndex: "label" },
            { title: SINCE, dataIndex: "since", render: (since: string | null) => since ?? "—" },
            codeColumn(t("leaf"), "leafHash"),
          ]}
        />
      )}
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
