// Reconciliation (对账): a day's core-banking books (CSV) sent to POST /v1/reconciliations and the
// node's report shown — the totals of both sides beside each other, every difference listed under
// its kind and highlighted; a balanced day says so.
import { Alert, Button, Card, Descriptions, Form, Input, Space, Table, Tag, type TableProps } from "antd";
import { useState, type CSSProperties } from "react";
import { api } from "../api.ts";
import { beijingTime, yuan } from "../format.ts";
import { useT, type WordKey } from "../i18n.ts";
import { ErrorLine, codeColumn, yuanColumn } from "./common.tsx";
import { CsvFileField, useFileSend } from "./upload.tsx";

type Totals = { disbursementFen: string; repaymentFen: string };
type Flow = { row?: number; serial: string; loanId: string; type: string; amountFen: string };
type Mismatch = { row: number; serial: string; loanId?: string; books: string; chain: string };
type BooksError = { row: number; serial: string; code: string; message: string; onChain: boolean };
type Report = {
  day: string;
  balanced: boolean;
  booksRows: number;
  chainFlows: number;
  matched: number;
  totals: { books: Totals; chain: Totals };
  missingOnChain: Flow[];
  missingInBooks: Flow[];
  amountMismatch: Mismatch[];
  typeMismatch: Mismatch[];
  loanMismatch: Mismatch[];
  errors: BooksError[];
};

/** A difference's row stands out: the report is read for these. */
const DIFFERENCE: CSSProperties = { background: "#fff1f0" };

/** Today in Beijing, as the day the books most often are. */
const beijingToday = () => beijingTime(Date.now()).slice(0, 10);

function Differences<R extends object>({
  title,
  rows,
  columns,
}: {
  title: WordKey;
  rows: R[];
  columns: TableProps<R>["columns"];
}) {
  const { t } = useT();
  if (rows.length === 0) return null;
  return (
    <Card
      size="small"
      title={
        <Space>
          {t(title)} <Tag color="red">{rows.length}</Tag>
        </Space>
      }
      data-testid={`difference-${title}`}
    >
      <Table<R>
        size="small"
        pagination={false}
        scroll={{ x: true }}
        rowKey={(r) => (r as { serial: string }).serial}
        dataSource={rows}
        columns={columns}
        onRow={() => ({ style: DIFFERENCE })}
      />
    </Card>
  );
}

function TotalsCard({ report }: { report: Report }) {
  const { t } = useT();
  const line = (key: WordKey, pick: (x: Totals) => string) => {
    const books = pick(report.totals.books);
    const chain = pick(report.totals.chain);
    const style = books === chain ? undefined : { ...DIFFERENCE, fontWeight: 600 };
    return (
      <Descriptions.Item label={t(key)} style={style}>
        {t("books")} {yuan(books)} · {t("chain")} {yuan(chain)}
      </Descriptions.Item>
    );
  };
  return (
    <Card
      size="small"
      title={
        <Space wrap>
          {t("reconciliation")} {report.day}
          <Tag color={report.balanced ? "green" : "red"} data-testid="reconcile-verdict">
            {t(report.balanced ? "balanced" : "unbalanced")}
          </Tag>
        </Space>
      }
    >
      <Descriptions size="small" bordered column={{ xs: 1, md: 3 }}>
        <Descriptions.Item label={t("booksRows")}>{report.booksRows}</Descriptions.Item>
        <Descriptions.Item label={t("chainFlows")}>{report.chainFlows}</Descriptions.Item>
        <Descriptions.Item label={t("matched")}>{report.matched}</Descriptions.Item>
        {line("disbursedTotal", (x) => x.disbursementFen)}
        {line("repaidTotal", (x) => x.repaymentFen)}
      </Descriptions>
    </Card>
  );
}

function ReportView({ report }: { report: Report }) {
  const { t } = useT();
  const serial = { title: t("serial"), dataIndex: "serial" };
  const row = { title: t("row"), dataIndex: "row" };
  const flow = [serial, codeColumn(t("loanId"), "loanId"), { title: t("type"), dataIndex: "type" }];
  const sides = (render?: (v: string) => string) => [
    { title: t("books"), dataIndex: "books", render },
    { title: t("chain"), dataIndex: "chain", render },
  ];
  return (
    <Space orientation="vertical" style={{ width: "100%" }} size="middle" data-testid="reconcile-report">
      <TotalsCard report={report} />
      {report.balanced ? <Alert type="success" showIcon title={t("balanced")} /> : null}
      <Differences
        title="amountMismatch"
        rows={report.amountMismatch}
        columns={[row, ...flow.slice(0, 2), ...sides(yuan)]}
      />
      <Differences
        title="missingOnChain"
        rows={report.missingOnChain}
        columns={[row, ...flow, yuanColumn(t("amount"), "amountFen")]}
      />
      <Differences
        title="missingInBooks"
        rows={report.missingInBooks}
        columns={[...flow, yuanColumn(t("amount"), "amountFen")]}
      />
      <Differences
        title="typeMismatch"
        rows={report.typeMismatch}
        columns={[row, ...flow.slice(0, 2), ...sides()]}
      />
      <Differences title="loanMismatch" rows={report.loanMismatch} columns={[row, serial, ...sides()]} />
      <Differences
        title="booksErrors"
        rows={report.errors}
        columns={[
          row,
          serial,
          { title: t("code"), dataIndex: "code" },
          { title: t("note"), dataIndex: "message" },
          { title: t("onChainToo"), dataIndex: "onChain", render: (v: boolean) => (v ? "✓" : "—") },
        ]}
      />
    </Space>
  );
}

export function ReconcileScreen() {
  const { t } = useT();
  const [report, setReport] = useState<Report>();
  const sending = useFileSend(t("booksFile"));
  const run = ({ day }: { day: string }) =>
    sending.send(
      async (books) => {
        const path = `/v1/reconciliations?day=${encodeURIComponent(day)}&format=json`;
        setReport(await api<Report>("POST", path, books, "text/csv"));
      },
      () => setReport(undefined),
    );
  return (
    <Space orientation="vertical" style={{ width: "100%" }} size="middle">
      <Card title={t("reconciliation")} size="small">
        <Form layout="vertical" onFinish={run} initialValues={{ day: beijingToday() }}>
          <Form.Item name="day" label={t("day")} rules={[{ required: true, pattern: /^\d{4}-\d{2}-\d{2}$/ }]}>
            <Input placeholder="YYYY-MM-DD" style={{ maxWidth: 200 }} />
          </Form.Item>
          <CsvFileField id="books-file" label={t("booksFile")} onFile={sending.setFile} />
          <ErrorLine error={sending.error} />
          <Button type="primary" htmlType="submit" loading={sending.busy}>
            {t("reconcile")}
          </Button>
        </Form>
      </Card>
      {report === undefined ? null : <ReportView report={report} />}
    </Space>
  );
}
