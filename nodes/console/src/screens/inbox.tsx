// The applications inbox (GET /v1/staff/inbox) by channel and review state, and a clerk's form
// that files a 借贷宝 (jiedaibao) application (POST /v1/applications/jiedaibao).
import {
  Button,
  Card,
  Form,
  Input,
  InputNumber,
  Modal,
  Segmented,
  Select,
  Space,
  Tag,
  message,
  type TableColumnsType,
} from "antd";
import { useState } from "react";
import { api } from "../api.ts";
import type { z } from "zod";
import { jiedaibaoPayload, type Borrower, type JiedaibaoLoan } from "../../../client/applications.ts";
import type { InboxReply } from "../../../src/staff/schemas.ts";
import { percent } from "../format.ts";
import { useT, type T, type WordKey } from "../i18n.ts";
import { ErrorLine, ListTable, codeColumn, describe, timeColumn, useLoad, yuanColumn } from "./common.tsx";

type Inbox = z.infer<typeof InboxReply>;
type InboxItem = Inbox["applications"][number];

const STATE_WORDS: Record<InboxItem["state"], WordKey> = {
  new: "stateNew",
  "in-review": "stateInReview",
  "second-approver": "stateSecond",
  approved: "stateApproved",
  declined: "stateDeclined",
};
const STATE_COLORS: Record<InboxItem["state"], string> = {
  new: "blue",
  "in-review": "orange",
  "second-approver": "purple",
  approved: "green",
  declined: "red",
};

/** The inbox's columns: the application, its loan as asked for, and where its review stands. */
function inboxColumns(t: T): TableColumnsType<InboxItem> {
  return [
    codeColumn(t("applicationId"), "applicationId"),
    { title: t("channel"), dataIndex: "channel" },
    { title: t("platformApplicationId"), dataIndex: "platformApplicationId" },
    yuanColumn(t("principal"), "principalFen"),
    {
      title: t("term"),
      render: (_: unknown, a) =>
        a.termMonths !== undefined ? `${a.termMonths} ${t("months")}` : `${a.termDays ?? "?"} ${t("days")}`,
    },
    { title: t("rate"), dataIndex: "aprBps", render: (bps: number) => percent(bps) },
    {
      title: t("state"),
      dataIndex: "state",
      render: (s: InboxItem["state"]) => <Tag color={STATE_COLORS[s]}>{t(STATE_WORDS[s])}</Tag>,
    },
    timeColumn(t("receivedAt"), "createdAt"),
  ];
}

export function InboxScreen() {
  const { t } = useT();
  const [state, setState] = useState<string>("all");
  const [channel, setChannel] = useState<string>("all");
  const [filing, setFiling] = useState(false);
  const query = new URLSearchParams();
  if (state !== "all") query.set("state", state);
  if (channel !== "all") query.set("channel", channel);
  const inbox = useLoad(() => api<Inbox>("GET", `/v1/staff/inbox?${query.toString()}`), [state, channel]);
  return (
    <Card
      title={t("inbox")}
      extra={
        <Space wrap>
          <Button onClick={() => void inbox.reload()}>{t("refresh")}</Button>
          <Button type="primary" onClick={() => setFiling(true)}>
            {t("fileApplication")}
          </Button>
        </Space>
      }
    >
      <Space wrap style={{ marginBottom: 12 }}>
        <div style={{ maxWidth: "calc(100vw - 64px)", overflowX: "auto" }}>
          <Segmented
            value={state}
            onChange={(v) => setState(String(v))}
            options={[
              { label: t("all"), value: "all" },
              ...Object.entries(STATE_WORDS).map(([value, word]) => ({ label: t(word), value })),
            ]}
          />
        </div>
        <Select
          value={channel}
          onChange={setChannel}
          style={{ width: 160 }}
          aria-label={t("channel")}
          options={[
            { label: `${t("channel")}: ${t("all")}`, value: "all" },
            { label: "借贷宝 jiedaibao", value: "jiedaibao" },
            { label: "CSV batch", value: "csv-batch" },
          ]}
        />
      </Space>
      <ListTable
        rowKey="applicationId"
        loaded={inbox}
        rows={inbox.data?.applications}
        columns={inboxColumns(t)}
      />
      <FileApplication
        open={filing}
        onClose={(filed) => {
          setFiling(false);
          if (filed) void inbox.reload();
        }}
      />
    </Card>
  );
}

// the form's fields: the borrower's, and the loan's in 借贷宝's terms under the form's own names
type FilingForm = Omit<Borrower, "regionCode"> &
  Omit<JiedaibaoLoan, "applicationId" | "principalYuan" | "annualPercent"> & {
    platformApplicationId: string;
    amount: string;
    ratePercent: string;
  };

/** An amount or a rate as 借贷宝 states it: a decimal with at most two places. */
const DECIMAL = [{ required: true, pattern: /^\d+(\.\d{1,2})?$/ }];

/** A required text field of the filing form. */
function TextField({ name, label }: { name: keyof FilingForm; label: string }) {
  return (
    <Form.Item name={name} label={label} rules={[{ required: true }]}>
      <Input />
    </Form.Item>
  );
}

function FileApplication({ open, onClose }: { open: boolean; onClose: (filed: boolean) => void }) {
  const { t } = useT();
  const [form] = Form.useForm<FilingForm>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (v: FilingForm) => {
    setBusy(true);
    setError(undefined);
    try {
      const reply = await api<{ applicationId: string }>(
        "POST",
        "/v1/applications/jiedaibao",
        jiedaibaoPayload(v, {
          ...v,
          applicationId: v.platformApplicationId,
          principalYuan: v.amount,
          annualPercent: v.ratePercent,
        }),
      );
      void message.success(`${t("filed")}: ${reply.applicationId}`);
      form.resetFields();
      onClose(true);
    } catch (e) {
      setError(describe(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open={open}
      title={`${t("fileApplication")} · 借贷宝`}
      onCancel={() => onClose(false)}
      onOk={() => form.submit()}
      okText={t("submit")}
      confirmLoading={busy}
      width={640}
      forceRender
    >
      <Form
        form={form}
        layout="vertical"
        onFinish={submit}
        initialValues={{ termMonths: 12, method: "debx" }}
      >
        <TextField name="platformApplicationId" label={t("platformApplicationId")} />
        <Space wrap>
          <TextField name="name" label={t("borrowerName")} />
          <TextField name="idNumber" label={t("idNumber")} />
          <TextField name="phone" label={t("phone")} />
          <TextField name="bankAccount" label={t("bankAccount")} />
        </Space>
        <Space wrap>
          <Form.Item name="amount" label={t("amountYuan")} rules={DECIMAL}>
            <Input />
          </Form.Item>
          <Form.Item name="termMonths" label={t("termMonths")} rules={[{ required: true }]}>
            <InputNumber min={1} max={60} />
          </Form.Item>
          <Form.Item name="ratePercent" label={t("ratePercent")} rules={DECIMAL}>
            <Input />
          </Form.Item>
          <Form.Item name="method" label={t("method")}>
            <Select
              style={{ width: 140 }}
              options={[
                { label: t("methodEqual"), value: "debx" },
                { label: t("methodInterestFirst"), value: "xxhb" },
              ]}
            />
          </Form.Item>
        </Space>
        <TextField name="purpose" label={t("purpose")} />
        <Space wrap>
          <Form.Item name="consentSignedAt" label={t("consentSignedAt")} rules={[{ required: true }]}>
            <Input placeholder="2026-11-22T10:00:00+08:00" />
          </Form.Item>
          <Form.Item name="consentDigest" label={t("consentDigest")} rules={[{ required: true }]}>
            <Input placeholder="0x…" style={{ width: 300 }} />
          </Form.Item>
        </Space>
        <ErrorLine error={error} />
      </Form>
    </Modal>
  );
}
