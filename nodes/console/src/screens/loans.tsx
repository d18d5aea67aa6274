// Loans from the node's index (GET /v1/loans) and one loan's detail (GET /v1/loans/{id}): its
// terms and all-in cost, state and stage, the chain's schedule, income split, receiving account
// and settlement. Amounts in yuan exact to the fen; days as the chain's Asia/Shanghai days.
import { Button, Card, Descriptions, Input, Segmented, Space, Tag } from "antd";
import { useState, type ReactNode } from "react";
import { api } from "../api.ts";
import { beijingMinute, chainDay, percent, yuan } from "../format.ts";
import { useT, type T, type WordKey } from "../i18n.ts";
import { useMembers, type Members } from "../members.tsx";
import {
  CardTable,
  ErrorLine,
  ListTable,
  fenOrDash as fen,
  percentColumn,
  useLoad,
  yuanColumn,
} from "./common.tsx";

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
type Funder = {
  memberId: number;
  shareBps: number;
  disbursedFen: string;
  principalRepaidFen: string;
  incomeFen: string;
};
type Fee = { installment: number; amountFen: string };
type Share = { memberId: number; fundingShareBps: number; incomeShareBps: number };
type LoanDetail = Loan & {
  allInAprBps: number | null;
  aprBps: number;
  method: string;
  borrowerKey: string;
  stageChangedAt: number | null;
  registeredAt: number;
  registeredBlock: number;
  registeredTx: string;
  disbursedFen: string;
  principalRepaidFen: string;
  interestRepaidFen: string;
  penaltyRepaidFen: string;
  outstandingFen?: string;
  lastFlowDay: number | null;
  cancelReason: number | null;
  caseId: string | null;
  assignedCaseId: string | null;
  settled?: { timestamp: number };
  funders?: Funder[];
  fees?: Fee[];
  evidence?: { contractLeaf: string; consentLeaf: string; chain: string; vouchers: number } | null;
  schedule?: Installment[] | null;
  incomeSplit?: { agreed: boolean; shares: Share[] } | null;
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
          options={["Registered", "Active", "Settled", "Cancelled"].map((value) => ({
            value,
            label: word(t, ENUM_WORDS, value),
          }))}
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
      <ListTable
        rowKey="loanId"
        loaded={loans}
        rows={loans.data?.loans}
        columns={[
          {
            title: t("loanId"),
            dataIndex: "loanId",
            render: (id: string) => <a href={`#/loans/${id}`}>{`${id.slice(0, 10)}…${id.slice(-6)}`}</a>,
          },
          { title: t("branch"), dataIndex: "branch" },
          { title: t("platform"), dataIndex: "platform" },
          yuanColumn(t("principal"), "principalFen"),
          { title: t("startDay"), dataIndex: "startDay", render: (d: number) => chainDay(d) },
          {
            title: t("state"),
            dataIndex: "state",
            render: (s: string) => <Tag color={STATE_COLORS[s]}>{word(t, ENUM_WORDS, s)}</Tag>,
          },
          { title: t("stage"), dataIndex: "stage", render: (s: string) => word(t, STAGES, s) },
        ]}
      />
    </Card>
  );
}

/** A field the detail has no label for, as the chain states it: fen as yuan, bps as a percentage, days as dates. */
function fieldValue(key: string, value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  if ((typeof value === "string" || typeof value === "number") && /Fen$/.test(key)) return yuan(value);
  if (typeof value === "number" && /Bps$/.test(key)) return percent(value);
  if (typeof value === "number" && /Day$/.test(key)) return chainDay(value);
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint")
    return String(value);
  return JSON.stringify(value);
}

/** The funders' and shares' member, by its legal name in the page's language (members.tsx). */
function memberColumn(t: T, members: Members) {
  return {
    title: t("member"),
    dataIndex: "memberId",
    render: (id: number) => (
      <>
        {members.name(id)}
        {members.mark(id)}
      </>
    ),
  };
}

/** The installment a fee is due with: the chain numbers fees 0 = at disbursement, k = with installment k. */
function feeInstallmentColumn(t: T) {
  return {
    title: t("installment"),
    dataIndex: "installment",
    render: (k: number) => (k === 0 ? t("atDisbursement") : k),
  };
}

const ENUM_WORDS: Record<string, WordKey> = {
  Registered: "loanRegistered",
  Active: "loanActive",
  Settled: "loanSettled",
  Cancelled: "loanCancelled",
  "borrower-account": "receivingBorrower",
  "entrusted-payee": "receivingPayee",
};
export const STAGES: Record<string, WordKey> = {
  None: "stageNone",
  Reminder: "stageReminder",
  Mediation: "stageMediation",
  Arbitration: "stageArbitration",
  Accepted: "stageAccepted",
  Ruled: "stageRuled",
  Closed: "stageClosed",
};

/** A chain or node enum value in the console's words; a value it does not know yet as the node sends it. */
export function word(t: T, words: Record<string, WordKey>, value: string | null | undefined): string {
  if (value === null || value === undefined) return "—";
  const key = words[value];
  return key === undefined ? value : t(key);
}

const METHODS: Record<string, WordKey> = {
  EqualInstallment: "methodEqual",
  InterestFirst: "methodInterestFirst",
  Bullet: "methodBullet",
};

const orDash = (v: string | number | null | undefined) =>
  v === null || v === undefined || v === "" ? "—" : v;
const hash = (h: string | null | undefined) =>
  h === null || h === undefined ? "—" : <code style={{ wordBreak: "break-all" }}>{h}</code>;

/** Every field the loan page labels, in the order a clerk reads them; the rest fall to "other fields". */
const LABELLED = new Set([
  "loanId",
  "principalFen",
  "allInAprBps",
  "aprBps",
  "method",
  "state",
  "stage",
  "startDay",
  "branch",
  "platform",
  "borrowerKey",
  "stageChangedAt",
  "registeredAt",
  "registeredBlock",
  "registeredTx",
  "disbursedFen",
  "principalRepaidFen",
  "interestRepaidFen",
  "penaltyRepaidFen",
  "outstandingFen",
  "lastFlowDay",
  "cancelReason",
  "caseId",
  "assignedCaseId",
  "settled",
  "funders",
  "fees",
  "evidence",
  "schedule",
  "incomeSplit",
  "receiving",
  "settlement",
  "prepayments",
]);

/** A term's value wraps between words, and inside one only when it is wider than the cell (a hash): never "60,|000.00". */
const TERM_VALUE = { overflowWrap: "anywhere" } as const;

function LoanTerms({ l }: { l: LoanDetail }) {
  const { t } = useT();
  const members = useMembers();
  const items: Array<[WordKey, ReactNode]> = [
    ["principal", yuan(l.principalFen)],
    ["allInApr", <strong data-testid="all-in-apr">{percent(l.allInAprBps)}</strong>],
    ["rate", percent(l.aprBps)],
    ["method", word(t, METHODS, l.method)],
    ["state", <Tag color={STATE_COLORS[l.state]}>{word(t, ENUM_WORDS, l.state)}</Tag>],
    ["stage", word(t, STAGES, l.stage)],
    ["startDay", chainDay(l.startDay)],
    [
      "branch",
      <>
        {members.detailed(l.branch)}
        {members.mark(l.branch)}
      </>,
    ],
    [
      "platform",
      <>
        {members.detailed(l.platform)}
        {members.mark(l.platform)}
      </>,
    ],
    ["borrowerKey", hash(l.borrowerKey)],
    ["registeredAt", beijingMinute(l.registeredAt)],
    ["registeredBlock", orDash(l.registeredBlock)],
    ["registeredTx", hash(l.registeredTx)],
    ["stageChangedAt", beijingMinute(l.stageChangedAt)],
    ["disbursed", fen(l.disbursedFen)],
    ["principalRepaid", fen(l.principalRepaidFen)],
    ["interestRepaid", fen(l.interestRepaidFen)],
    ["penaltyRepaid", fen(l.penaltyRepaidFen)],
    ["outstanding", fen(l.outstandingFen)],
    ["lastFlowDay", l.lastFlowDay == null ? "—" : chainDay(l.lastFlowDay)],
    ["cancelReason", orDash(l.cancelReason)],
    ["caseId", hash(l.caseId)],
    ["assignedCaseId", hash(l.assignedCaseId)],
    [
      "receiving",
      l.receiving == null
        ? "—"
        : `${word(t, ENUM_WORDS, l.receiving.kind)} ${l.receiving.receivingAccount ?? ""}`,
    ],
    ["settledAt", beijingMinute(l.settled?.timestamp)],
    ["settlement", l.settlement == null ? "—" : `${l.settlement.serial} · ${yuan(l.settlement.amountFen)}`],
  ];
  const others = Object.entries(l).filter(([k, v]) => !LABELLED.has(k) && v !== undefined);
  return (
    <Card title={`${t("terms")} · ${l.loanId}`} size="small">
      <Descriptions bordered size="small" column={{ xs: 1, md: 2 }}>
        {items.map(([key, value]) => (
          <Descriptions.Item key={key} label={t(key)}>
            <span style={TERM_VALUE}>{value}</span>
          </Descriptions.Item>
        ))}
        {others.map(([k, v]) => (
          <Descriptions.Item key={k} label={`${t("otherFields")} · ${k}`}>
            <span style={TERM_VALUE}>{fieldValue(k, v)}</span>
          </Descriptions.Item>
        ))}
      </Descriptions>
    </Card>
  );
}

function Evidence({ l }: { l: LoanDetail }) {
  const { t } = useT();
  const e = l.evidence;
  const leaves: Array<{ kind: string; leaf: string }> =
    e == null
      ? []
      : [
          { kind: t("contractLeaf"), leaf: e.contractLeaf },
          { kind: t("consentLeaf"), leaf: e.consentLeaf },
          { kind: t("evidenceChain").replace("%s", String(e.vouchers)), leaf: e.chain },
        ];
  return (
    <CardTable
      title={t("evidence")}
      rowKey="kind"
      dataSource={leaves}
      columns={[
        { title: t("leafKind"), dataIndex: "kind" },
        { title: t("leaf"), dataIndex: "leaf", render: hash },
      ]}
    />
  );
}

export function LoanScreen({ loanId }: { loanId: string }) {
  const { t } = useT();
  const members = useMembers();
  const loan = useLoad(() => api<LoanDetail>("GET", `/v1/loans/${encodeURIComponent(loanId)}`), [loanId]);
  const l = loan.data;
  return (
    <Space orientation="vertical" style={{ width: "100%" }} size="middle">
      <a href="#/loans">← {t("loans")}</a>
      <ErrorLine error={loan.error} />
      {l === undefined ? null : (
        <>
          <LoanTerms l={l} />
          <CardTable
            title={t("funders")}
            rowKey="memberId"
            dataSource={l.funders ?? []}
            columns={[
              memberColumn(t, members),
              percentColumn(t("fundingShare"), "shareBps"),
              yuanColumn(t("disbursed"), "disbursedFen"),
              yuanColumn(t("principalRepaid"), "principalRepaidFen"),
              yuanColumn(t("income"), "incomeFen"),
            ]}
          />
          <CardTable
            title={t("fees")}
            rowKey="installment"
            dataSource={l.fees ?? []}
            columns={[feeInstallmentColumn(t), yuanColumn(t("amount"), "amountFen")]}
          />
          <CardTable
            title={t("schedule")}
            rowKey="installment"
            dataSource={l.schedule ?? []}
            columns={[
              // installments as the borrower's contract counts them, from 1
              { title: t("installment"), key: "number", render: (_, _row, i) => i + 1 },
              { title: t("dueDay"), dataIndex: "dueDate" },
              yuanColumn(t("principal"), "principalFen"),
              yuanColumn(t("interest"), "interestFen"),
              yuanColumn(t("total"), "totalFen"),
            ]}
          />
          {l.incomeSplit == null ? null : (
            <CardTable
              title={t("incomeSplit")}
              rowKey={(_, i) => String(i)}
              dataSource={l.incomeSplit.shares}
              columns={[
                memberColumn(t, members),
                percentColumn(t("fundingShare"), "fundingShareBps"),
                percentColumn(t("incomeShare"), "incomeShareBps"),
              ]}
            />
          )}
          <Evidence l={l} />
        </>
      )}
    </Space>
  );
}
