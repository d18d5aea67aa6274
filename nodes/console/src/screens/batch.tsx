// Daily batch files: a branch's day of repayments or disbursements uploaded as one CSV file (POST
// /v1/batch-files/{kind}); its progress read every second while the outbox sends the rows, and its
// result file downloaded at the end. A refused file shows each bad row; nothing of it was taken.
import { Button, Card, Descriptions, Form, Progress, Segmented, Space, Table, Tag, Typography } from "antd";
import { useEffect, useState } from "react";
import { NodeApiError } from "../../../client/api-error.ts";
import { api, download } from "../api.ts";
import { beijingTime } from "../format.ts";
import { useT } from "../i18n.ts";
import { ErrorLine, describe } from "./common.tsx";
import { CsvFileField, useFileSend } from "./upload.tsx";

type Kind = "repayment" | "disbursement";
type BatchProgress = {
  id: string;
  kind: Kind;
  uploadedBy: string;
  createdAt: string;
  rows: number;
  taken: number;
  counts: { pending: number; confirmed: number; failed: number; refused: number };
  done: boolean;
};
type BadRow = { line: number; field: string; message: string };

const POLL_MS = 1000;

/** The bad rows a refused file's 422 names (details.rows), or none. */
function badRowsOf(error: unknown): BadRow[] {
  if (!(error instanceof NodeApiError)) return [];
  const details = (error.body as { error?: { details?: { rows?: BadRow[] } } } | undefined)?.error?.details;
  return details?.rows ?? [];
}

/** The batch's progress, asked again every second until every row has its outcome. */
function useBatch(batchId: string | undefined) {
  const [batch, setBatch] = useState<BatchProgress>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (batchId === undefined) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const next = await api<BatchProgress>("GET", `/v1/batch-files/${batchId}`);
        if (stopped) return;
        setBatch(next);
        setError(undefined);
        if (next.done) return;
      } catch (e) {
        if (!stopped) setError(describe(e));
      }
      if (!stopped) timer = setTimeout(() => void poll(), POLL_MS);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [batchId]);
  return { batch, error, setBatch };
}

function BatchStatus({ batch }: { batch: BatchProgress }) {
  const { t } = useT();
  const { pending, confirmed, failed, refused } = batch.counts;
  const finished = confirmed + failed + refused;
  return (
    <Card
      title={
        <Space wrap>
          {t("batchId")} <code style={{ wordBreak: "break-all" }}>{batch.id}</code>
        </Space>
      }
      size="small"
      data-testid="batch-progress"
    >
      <Progress
        percent={batch.rows === 0 ? 100 : Math.floor((finished * 100) / batch.rows)}
        status={batch.done ? (failed + refused > 0 ? "exception" : "success") : "active"}
      />
      <Typography.Paragraph>
        {batch.done ? (
          <Tag color="green" data-testid="batch-done">
            {t("batchDone")}
          </Tag>
        ) : (
          <Tag color="blue">{t("batchRunning")}</Tag>
        )}
      </Typography.Paragraph>
      <Descriptions size="small" bordered column={{ xs: 1, sm: 2, lg: 3 }}>
        <Descriptions.Item label={t("batchKind")}>
          {t(batch.kind === "repayment" ? "batchRepayment" : "batchDisbursement")}
        </Descriptions.Item>
        <Descriptions.Item label={t("uploadedBy")}>{batch.uploadedBy}</Descriptions.Item>
        <Descriptions.Item label={t("uploadedAt")}>{beijingTime(batch.createdAt)}</Descriptions.Item>
        <Descriptions.Item label={t("rows")}>{batch.rows}</Descriptions.Item>
        <Descriptions.Item label={t("taken")}>{batch.taken}</Descriptions.Item>
        <Descriptions.Item label={t("pending")}>{pending}</Descriptions.Item>
        <Descriptions.Item label={t("confirmed")}>{confirmed}</Descriptions.Item>
        <Descriptions.Item label={t("failed")}>{failed}</Descriptions.Item>
        <Descriptions.Item label={t("refused")}>{refused}</Descriptions.Item>
      </Descriptions>
      <Button
        style={{ marginTop: 12 }}
        disabled={!batch.done}
        onClick={() => void download(`/v1/batch-files/${batch.id}/result`, `batch-${batch.id}-result.csv`)}
      >
        {t("resultFile")}
      </Button>
    </Card>
  );
}

export function BatchScreen() {
  const { t } = useT();
  const [kind, setKind] = useState<Kind>("repayment");
  const [badRows, setBadRows] = useState<BadRow[]>([]);
  const [batchId, setBatchId] = useState<string>();
  const polled = useBatch(batchId);
  const sending = useFileSend(t("chooseFile"));
  const upload = () => {
    setBadRows([]);
    return sending.send(
      async (text) => {
        const batch = await api<BatchProgress>("POST", `/v1/batch-files/${kind}`, text, "text/csv");
        polled.setBatch(batch);
        setBatchId(batch.id);
      },
      (e) => setBadRows(badRowsOf(e)),
    );
  };
  return (
    <Space orientation="vertical" style={{ width: "100%" }} size="middle">
      <Card title={t("batchFiles")} size="small">
        <Form layout="vertical" onFinish={() => void upload()}>
          <Form.Item label={t("batchKind")}>
            <Segmented<Kind>
              value={kind}
              onChange={setKind}
              options={[
                { label: t("batchRepayment"), value: "repayment" },
                { label: t("batchDisbursement"), value: "disbursement" },
              ]}
            />
          </Form.Item>
          <CsvFileField id="batch-file" label={t("chooseFile")} onFile={sending.setFile} />
          <ErrorLine error={sending.error} />
          {badRows.length === 0 ? null : (
            <Table<BadRow>
              size="small"
              title={() => t("badRows")}
              rowKey={(r) => `${r.line}-${r.field}`}
              dataSource={badRows}
              pagination={false}
              scroll={{ x: true }}
              columns={[
                { title: t("line"), dataIndex: "line" },
                { title: t("field"), dataIndex: "field" },
                { title: t("note"), dataIndex: "message" },
              ]}
            />
          )}
          <Button type="primary" htmlType="submit" loading={sending.busy}>
            {t("upload")}
          </Button>
        </Form>
      </Card>
      <ErrorLine error={polled.error} />
      {polled.batch === undefined ? null : <BatchStatus batch={polled.batch} />}
    </Space>
  );
}
