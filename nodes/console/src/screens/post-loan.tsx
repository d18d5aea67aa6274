// Post-loan (贷后): a nightly run's early-warning list (GET /v1/post-loan/runs/{runId}/warnings), red
// first, with each loan's reasons and five-level class (五级分类); an admin may run the batch now.
// A loan's case (#/cases/0x…): its dispute stage and history, the notices sent to its borrower
// (送达) and its mediation (调解), each from the node's own route.
import { Button, Card, Descriptions, Form, Input, Space, Tag, Typography } from "antd";
import { useState, type ReactNode } from "react";
import { useMembers } from "../members.tsx";
import { api } from "../api.ts";
import { beijingMinute, beijingTime, percent } from "../format.ts";
import { useT, type WordKey } from "../i18n.ts";
import {
  CardTable,
  ErrorLine,
  ListTable,
  codeColumn,
  describe,
  fenOrDash,
  useLoad,
  yuanColumn,
} from "./common.tsx";
import { STAGES, word } from "./loans.tsx";

type Level = "red" | "orange" | "yellow";
type Warning = {
  loanId: string;
  branch: number;
  level: Level;
  reasons: string[];
  daysPastDue: number;
  exposureFen: string;
  exposureBeforeFen: string | null;
  newLoansElsewhere: number;
  fiveLevel: string;
  creditReport: { score: number; overdueAccounts: number; worstOverdueDays: number } | null;
};
type Run = {
  runId: string;
  finishedAt: number | null;
  scanned: number;
  warnings: Record<Level, number>;
};

const LEVELS: Record<Level, { word: WordKey; color: string }> = {
  red: { word: "levelRed", color: "red" },
  orange: { word: "levelOrange", color: "orange" },
  yellow: { word: "levelYellow", color: "gold" },
};

/** Today's run in Beijing time, as the nightly batch names it by default. */
const todaysRun = () => beijingTime(Date.now()).slice(0, 10);

export function WarningsScreen({ role }: { role: string }) {
  const { t } = useT();
  const [runId, setRunId] = useState(todaysRun);
  const [run, setRun] = useState<Run>();
  const [running, setRunning] = useState(false);
  const [runError, setRunError] = useState<string>();
  const loaded = useLoad(
    // a run not made yet has no list: empty, not an error
    () =>
      unlessMissing(
        api<{ warnings: Warning[] }>("GET", `/v1/post-loan/runs/${encodeURIComponent(runId)}/warnings`),
      ),
    [runId, run],
  );
  const runNow = async () => {
    setRunning(true);
    setRunError(undefined);
    try {
      setRun(await api<Run>("POST", `/v1/post-loan/runs/${encodeURIComponent(runId)}`));
    } catch (e) {
      setRunError(describe(e));
    } finally {
      setRunning(false);
    }
  };
  return (
    <Card title={t("earlyWarnings")} size="small">
      <Form
        layout="inline"
        initialValues={{ runId }}
        onFinish={(v: { runId: string }) => setRunId(v.runId.trim())}
        style={{ marginBottom: 12, rowGap: 8 }}
      >
        <Form.Item name="runId" label={t("runId")} rules={[{ required: true }]}>
          <Input style={{ width: 160 }} />
        </Form.Item>
        <Button htmlType="submit">{t("show")}</Button>
        {role === "admin" ? (
          <Button type="primary" loading={running} onClick={() => void runNow()}>
            {t("runNow")}
          </Button>
        ) : null}
      </Form>
      <ErrorLine error={runError} />
      {run === undefined ? null : (
        <Typography.Paragraph data-testid="post-loan-run">
          {t("scanned")} {run.scanned} · {t("finishedAt")} {beijingMinute(run.finishedAt)} ·{" "}
          {(Object.keys(LEVELS) as Level[]).map((l) => (
            <Tag key={l} color={LEVELS[l].color}>
              {t(LEVELS[l].word)} {run.warnings[l]}
            </Tag>
          ))}
        </Typography.Paragraph>
      )}
      <ListTable<Warning>
        loaded={loaded}
        rows={loaded.data?.warnings}
        rowKey="loanId"
        data-testid="warnings"
        columns={[
          {
            title: t("loanId"),
            dataIndex: "loanId",
            render: (id: string) => <a href={`#/cases/${id}`}>{`${id.slice(0, 10)}…${id.slice(-6)}`}</a>,
          },
          {
            title: t("level"),
            dataIndex: "level",
            render: (l: Level) => <Tag color={LEVELS[l].color}>{t(LEVELS[l].word)}</Tag>,
          },
          { title: t("fiveLevel"), dataIndex: "fiveLevel" },
          { title: t("daysPastDue"), dataIndex: "daysPastDue", align: "right" },
          {
            title: t("reasons"),
            dataIndex: "reasons",
            render: (reasons: string[]) => reasons.join("; "),
          },
          yuanColumn(t("exposure"), "exposureFen"),
          yuanColumn(t("exposureBefore"), "exposureBeforeFen"),
          { title: t("newLoansElsewhere"), dataIndex: "newLoansElsewhere", align: "right" },
          {
            title: t("creditScore"),
            dataIndex: "creditReport",
            render: (r: Warning["creditReport"]) => (r === null ? "—" : r.score),
          },
        ]}
      />
    </Card>
  );
}

export type ChainCase = {
  loanId: string;
  stage: string;
  caseId: string | null;
  court: number | null;
  triggeredAt: number | null;
  history: Array<{ stage: string; previous?: string; at?: number; blockNumber?: number }>;
};
type Notice = {
  noticeId: string;
  templateId: string;
  channel: string;
  status: "delivered" | "failed";
  attempt: number;
  receipts: Array<{ status: string; at: number }>;
  leafHash: string;
};
type Mediation = {
  status: string;
  openedAt: number;
  answerBy: number;
  amountDueFen: string;
  plan: { aprBps: number; allInAprBps: number; termMonths: number };
};

/** An answer the loan may not have (no mediation case: 404) as undefined. */
async function unlessMissing<T>(load: Promise<T>): Promise<T | undefined> {
  try {
    return await load;
  } catch (e) {
    if ((e as { status?: number }).status === 404) return undefined;
    throw e;
  }
}

/** A loan's case as the chain states it: stage, case id, court, when it was raised; `children` below. */
export function CaseCard({
  loanId,
  view,
  children,
}: {
  loanId: string;
  view: { data?: ChainCase | undefined; error?: string | undefined };
  children?: ReactNode;
}) {
  const { t } = useT();
  const members = useMembers();
  const c = view.data;
  return (
    <Card title={`${t("caseOf")} ${loanId}`} size="small" styles={{ title: { wordBreak: "break-all" } }}>
      <ErrorLine error={view.error} />
      {c === undefined ? null : (
        <Descriptions size="small" bordered column={{ xs: 1, md: 2 }}>
          <Descriptions.Item label={t("stage")}>
            <Tag data-testid="case-stage">{word(t, STAGES, c.stage)}</Tag>
          </Descriptions.Item>
          <Descriptions.Item label={t("caseId")}>{c.caseId ?? "—"}</Descriptions.Item>
          <Descriptions.Item label={t("court")}>
            {c.court === null ? "—" : members.name(c.court)}
          </Descriptions.Item>
          <Descriptions.Item label={t("time")}>{beijingMinute(c.triggeredAt)}</Descriptions.Item>
        </Descriptions>
      )}
      {children}
    </Card>
  );
}

function CaseScreenFor({ loanId }: { loanId: string }) {
  const { t } = useT();
  const id = encodeURIComponent(loanId);
  const view = useLoad(() => api<ChainCase>("GET", `/v1/cases/${id}`), [id]);
  const notices = useLoad(() => api<{ notices: Notice[] }>("GET", `/v1/loans/${id}/notices`), [id]);
  const mediation = useLoad(() => unlessMissing(api<Mediation>("GET", `/v1/loans/${id}/mediation`)), [id]);
  const c = view.data;
  const m = mediation.data;
  return (
    <Space orientation="vertical" style={{ width: "100%" }} size="middle">
      <a href="#/warnings">← {t("earlyWarnings")}</a>
      <CaseCard loanId={loanId} view={view} />
      <CardTable
        title={t("stageHistory")}
        rowKey={(h) => `${h.blockNumber ?? 0}-${h.stage}`}
        dataSource={c?.history ?? []}
        columns={[
          { title: t("previousStage"), dataIndex: "previous", render: (s: string) => word(t, STAGES, s) },
          { title: t("stage"), dataIndex: "stage", render: (s: string) => word(t, STAGES, s) },
          { title: t("time"), dataIndex: "at", render: (s: number | undefined) => beijingMinute(s) },
          { title: t("block"), dataIndex: "blockNumber" },
        ]}
      />
      <ErrorLine error={notices.error} />
      <CardTable
        title={t("notices")}
        rowKey="noticeId"
        dataSource={notices.data?.notices ?? []}
        columns={[
          { title: t("template"), dataIndex: "templateId" },
          { title: t("channel"), dataIndex: "channel" },
          {
            title: t("state"),
            dataIndex: "status",
            render: (s: Notice["status"]) => (
              <Tag color={s === "delivered" ? "green" : "red"}>
                {s === "delivered" ? t("delivered") : t("failed")}
              </Tag>
            ),
          },
          { title: t("attempt"), dataIndex: "attempt" },
          {
            title: t("time"),
            dataIndex: "receipts",
            render: (r: Notice["receipts"]) => (r.length === 0 ? "—" : beijingMinute(r[r.length - 1]!.at)),
          },
          codeColumn(t("leaf"), "leafHash"),
        ]}
      />
      <Card title={t("mediation")} size="small">
        <ErrorLine error={mediation.error} />
        {m === undefined ? (
          <Typography.Text type="secondary">{mediation.loading ? "…" : t("noMediation")}</Typography.Text>
        ) : (
          <Descriptions size="small" bordered column={{ xs: 1, md: 2 }}>
            <Descriptions.Item label={t("state")}>{m.status}</Descriptions.Item>
            <Descriptions.Item label={t("amountDue")}>{fenOrDash(m.amountDueFen)}</Descriptions.Item>
            <Descriptions.Item label={t("openedAt")}>{beijingMinute(m.openedAt)}</Descriptions.Item>
            <Descriptions.Item label={t("answerBy")}>{beijingMinute(m.answerBy)}</Descriptions.Item>
            <Descriptions.Item label={t("planApr")}>{percent(m.plan.aprBps)}</Descriptions.Item>
            <Descriptions.Item label={t("allInApr")}>{percent(m.plan.allInAprBps)}</Descriptions.Item>
            <Descriptions.Item label={t("termMonths")}>{m.plan.termMonths}</Descriptions.Item>
          </Descriptions>
        )}
      </Card>
    </Space>
  );
}

/** A loan's id typed in, opening `#/{screen}/0x…`: the start of a screen about one loan. */
function LoanIdSearch({ title, screen }: { title: string; screen: string }) {
  const { t } = useT();
  return (
    <Card title={title} size="small">
      <Input.Search
        placeholder="0x…"
        enterButton={t("open")}
        aria-label={t("loanId")}
        onSearch={(id) => (window.location.hash = `#/${screen}/${id.trim()}`)}
      />
    </Card>
  );
}

/** A screen about one loan: its id typed in first (#/{screen}), then `View` of it (#/{screen}/0x…). */
export function oneLoanScreen(
  title: WordKey,
  screen: string,
  View: (props: { loanId: string }) => ReactNode,
) {
  return function OneLoan({ loanId }: { loanId: string | undefined }) {
    const { t } = useT();
    return loanId === undefined ? (
      <LoanIdSearch title={t(title)} screen={screen} />
    ) : (
      <View loanId={loanId} />
    );
  };
}

export const CaseScreen = oneLoanScreen("cases", "cases", CaseScreenFor);
