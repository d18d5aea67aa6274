// Loans from the node's index (GET /v1/loans) and one loan's detail (GET /v1/loans/{id}): its
// terms and all-in cost, state and stage, the chain's schedule, income split, receiving account
// and settlement. Amounts in yuan exact to the fen; days as the chain's Asia/Shanghai days.
import { Button, Card, Descriptions, Input, Segmented, Space, Table, Tag } from "antd";
import { useState } from "react";
import { api } from "../api.ts";
import { chainDay, percent, yuan } from "../format.ts";
import { useT } from "../i18n.ts";
import { ErrorLine, useLoad } from "./common.tsx";

type Loan = {
  loanId: string;
  branch: number;
  platform: number;
  principalFen: string;
  state: string;
  stage: string;
  startDay: number;
  [field: string]: unknown;
};
type Installment = {
  installment: number;
  dueDate: string;
  principalFen: string;
  interestFen: string;
  totalFen: string;
};
type LoanDetail = Loan & {
  allInAprBps: number | null;
  schedule?: Installment[] | null;
  incomeSplit?: { agreed: boolean; shares: Record<string, unknown>[] } | null;
  receiving?: { kind: string | null; receivingAccount: string | null };
  settlement?: { serial: string; amountFen: string } | null;
};

const STATE_COLORS: Record<string, string> = {
  Registered: "blue",
  Active: "green",
  Settled: "default",
  Cancelled: "red",
};

export function LoansScreen() {
  const { t } = useT();
  const [state, setState] = useState("Active");
  const [lookup, setLookup] = useState("");
  const loans = useLoad(() => api<{ loans: Loan[] }>("GET", `/v1/loans?state=${state}`), [state]);
  return (
    <Card title={t("loans")} extra={<Button onClick={() => void loans.reload()}>{t("refresh")}</Button>}>
      <Space wrap style={{ marginBottom: 12 }}>
        <Segmented
          value={state}
          onChange={(v) => setState(String(v))}
          options={["Registered", "Active", "Settled", "Cancelled"]}
        />
        <Input.Search
          placeholder={t("noLoan")}
          value={lookup}
          onChange={(e) => setLookup(e.target.value)}
          onSearch={(id) => (window.location.hash = `#/loans/${id.trim()}`)}
          enterButton={t("open")}
          style={{ width: 360, maxWidth: "100%" }}
        />
      </Space>
      <ErrorLine error={loans.error} />
      <Table<Loan>
        rowKey="loanId"
        size="small"
        loading={loans.loading}
        dataSource={loans.data?.loans ?? []}
        scroll={{ x: true }}
        columns={[
          {
            title: t("loanId"),
            dataIndex: "loanId",
            render: (id: string) => <a href={`#/loans/${id}`}>{`${id.slice(0, 10)}…${id.slice(-6)}`}</a>,
          },
          { title: t("branch"), dataIndex: "branch" },
          { title: t("platform"), dataIndex: "platform" },
          {
            title: t("principal"),
            dataIndex: "principalFen",
            align: "right",
            render: (fen: string) => yuan(fen),
          },
          { title: t("startDay"), dataIndex: "startDay", render: (d: number) => chainDay(d) },
          {
            title: t("state"),
            dataIndex: "state",
            render: (s: string) => <Tag color={STATE_COLORS[s]}>{s}</Tag>,
          },
          { title: t("stage"), dataIndex: "stage" },
        ]}
      />
    </Card>
  );
}

/** A field the detail shows as the chain states it: fen as yuan, bps as a percentage, days as dates. */
function fieldValue(key: string, value: unknown): string {
  if ((typeof value === "string" || typeof value === "number") && /Fen$/.test(key)) return yuan(value);
  if (typeof value === "number" && /Bps$/.test(key)) return percent(value);
  if (typeof value === "number" && /Day$/.test(key)) return chainDay(value);
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

const SHOWN = new Set([
  "loanId",
  "allInAprBps",
  "schedule",
  "incomeSplit",
  "receiving",
  "settlement",
  "prepayments",
]);

export function LoanScreen({ loanId }: { loanId: string }) {
  const { t } = useT();
  const loan = useLoad(() => api<LoanDetail>("GET", `/v1/loans/${encodeURIComponent(loanId)}`), [loanId]);
  const l = loan.data;
  return (
    <Space direction="vertical" style={{ width: "100%" }} size="middle">
      <a href="#/loans">← {t("loans")}</a>
      <ErrorLine error={loan.error} />
      {l === undefined ? null : (
        <>
          <Card title={`${t("terms")} · ${l.loanId}`} size="small">
            <Descriptions bordered size="small" column={{ xs: 1, md: 2 }}>
              <Descriptions.Item label={t("principal")}>{yuan(l.principalFen)}</Descriptions.Item>
              <Descriptions.Item label={t("allInApr")}>
                <strong data-testid="all-in-apr">{percent(l.allInAprBps)}</strong>
              </Descriptions.Item>
              <Descriptions.Item label={t("state")}>
                <Tag color={STATE_COLORS[l.state]}>{l.state}</Tag>
              </Descriptions.Item>
              <Descriptions.Item label={t("stage")}>{l.stage}</Descriptions.Item>
              <Descriptions.Item label={t("startDay")}>{chainDay(l.startDay)}</Descriptions.Item>
              {Object.entries(l)
                .filter(
                  ([k, v]) =>
                    !SHOWN.has(k) &&
                    !["principalFen", "state", "stage", "startDay"].includes(k) &&
                    v !== undefined,
                )
                .map(([k, v]) => (
                  <Descriptions.Item key={k} label={k}>
                    <span style={{ wordBreak: "break-all" }}>{fieldValue(k, v)}</span>
                  </Descriptions.Item>
                ))}
              {l.receiving === undefined ? null : (
                <Descriptions.Item label={t("receiving")}>
                  {l.receiving.kind ?? "—"} {l.receiving.receivingAccount ?? ""}
                </Descriptions.Item>
              )}
              {l.settlement == null ? null : (
                <Descriptions.Item label={t("settlement")}>
                  {l.settlement.serial} · {yuan(l.settlement.amountFen)}
                </Descriptions.Item>
              )}
            </Descriptions>
          </Card>
          <Card title={t("schedule")} size="small">
            <Table<Installment>
              rowKey="installment"
              size="small"
              pagination={false}
              dataSource={l.schedule ?? []}
              scroll={{ x: true }}
              columns={[
                { title: "#", dataIndex: "installment" },
                { title: t("dueDay"), dataIndex: "dueDate" },
                {
                  title: t("principal"),
                  dataIndex: "principalFen",
                  align: "right",
                  render: (f: string) => yuan(f),
                },
                {
                  title: t("interest"),
                  dataIndex: "interestFen",
                  align: "right",
                  render: (f: string) => yuan(f),
                },
                { title: t("total"), dataIndex: "totalFen", align: "right", render: (f: string) => yuan(f) },
              ]}
            />
          </Card>
          {l.incomeSplit == null ? null : (
            <Card title={t("incomeSplit")} size="small">
              <Table
                rowKey={(_, i) => String(i)}
                size="small"
                pagination={false}
                dataSource={l.incomeSplit.shares}
                scroll={{ x: true }}
                columns={Object.keys(l.incomeSplit.shares[0] ?? {}).map((k) => ({
                  title: k,
                  dataIndex: k,
                  render: (v: unknown) => fieldValue(k, v),
                }))}
              />
            </Card>
          )}
        </>
      )}
    </Space>
  );
}
