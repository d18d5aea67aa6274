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
  Table,
  Tag,
  message,
} from "antd";
import { useState } from "react";
import { api } from "../api.ts";
import { beijingTime, percent, yuan } from "../format.ts";
import { useT, type WordKey } from "../i18n.ts";
import { ErrorLine, describe, useLoad } from "./common.tsx";

type InboxItem = {
  applicationId: string;
  channel: string;
  platformApplicationId: string;
  createdAt: string;
  principalFen: string;
  termMonths?: number;
  termDays?: number;
  aprBps: number;
  state: "new" | "in-review" | "second-approver" | "approved" | "declined";
};

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

export function InboxScreen() {
  const { t } = useT();
  const [state, setState] = useState<string>("all");
  const [channel, setChannel] = useState<string>("all");
  const [filing, setFiling] = useState(false);
  const query = new URLSearchParams();
  if (state !== "all") query.set("state", state);
  if (channel !== "all") query.set("channel", channel);
  const inbox = useLoad(
    () => api<{ applications: InboxItem[] }>("GET", `/v1/staff/inbox?${query.toString()}`),
    [state, channel],
  );
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
      <ErrorLine error={inbox.error} />
      <Table<InboxItem>
        rowKey="applicationId"
        size="small"
        loading={inbox.loading}
        dataSource={inbox.data?.applications ?? []}
        scroll={{ x: true }}
        columns={[
          {
            title: t("applicationId"),
            dataIndex: "applicationId",
            render: (id: string) => <code>{id}</code>,
          },
          { title: t("channel"), dataIndex: "channel" },
          { title: t("platformApplicationId"), dataIndex: "platformApplicationId" },
          {
            title: t("principal"),
            dataIndex: "principalFen",
            align: "right",
            render: (fen: string) => yuan(fen),
          },
          {
            title: t("term"),
            render: (_: unknown, a) =>
              a.termMonths !== undefined
                ? `${a.termMonths} ${t("months")}`
                : `${a.termDays ?? "?"} ${t("days")}`,
          },
          { title: t("rate"), dataIndex: "aprBps", render: (bps: number) => percent(bps) },
          {
            title: t("state"),
            dataIndex: "state",
            render: (s: InboxItem["state"]) => <Tag color={STATE_COLORS[s]}>{t(STATE_WORDS[s])}</Tag>,
          },
          { title: t("receivedAt"), dataIndex: "createdAt", render: (at: string) => beijingTime(at) },
        ]}
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

type FilingForm = {
  platformApplicationId: string;
  name: string;
  idNumber: string;
  phone: string;
  bankAccount: string;
  amount: string;
  termMonths: number;
  ratePercent: string;
  method: "debx" | "xxhb";
  purpose: string;
  consentSignedAt: string;
  consentDigest: string;
};

function FileApplication({ open, onClose }: { open: boolean; onClose: (filed: boolean) => void }) {
  const { t } = useT();
  const [form] = Form.useForm<FilingForm>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (v: FilingForm) => {
    setBusy(true);
    setError(undefined);
    try {
      const reply = await api<{ applicationId: string }>("POST", "/v1/applications/jiedaibao", {
        shenqingBianhao: v.platformApplicationId,
        jiekuanren: {
          xingming: v.name,
          zhengjian: { leixing: "01", haoma: v.idNumber },
          shoujiHaoma: v.phone,
          yinhangZhanghao: v.bankAccount,
        },
        daikuan: {
          jine: v.amount,
          qixian: { shuzhi: v.termMonths, danwei: "yue" },
          nianLilv: v.ratePercent,
          huankuanFangshi: v.method,
          yongtu: v.purpose,
          feiyong: [],
        },
        shouquanshu: { qianshuShijian: v.consentSignedAt, zhaiyao: v.consentDigest },
      });
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
        <Form.Item
          name="platformApplicationId"
          label={t("platformApplicationId")}
          rules={[{ required: true }]}
        >
          <Input />
        </Form.Item>
        <Space wrap>
          <Form.Item name="name" label={t("borrowerName")} rules={[{ required: true }]}>
            <Input />
          </Form.Item>
          <Form.Item name="idNumber" label={t("idNumber")} rules={[{ required: true }]}>
            <Input />
          </Form.Item>
          <Form.Item name="phone" label={t("phone")} rules={[{ required: true }]}>
            <Input />
          </Form.Item>
          <Form.Item name="bankAccount" label={t("bankAccount")} rules={[{ required: true }]}>
            <Input />
          </Form.Item>
        </Space>
        <Space wrap>
          <Form.Item
            name="amount"
            label={t("amountYuan")}
            rules={[{ required: true, pattern: /^\d+(\.\d{1,2})?$/ }]}
          >
            <Input />
          </Form.Item>
          <Form.Item name="termMonths" label={t("termMonths")} rules={[{ required: true }]}>
            <InputNumber min={1} max={60} />
          </Form.Item>
          <Form.Item
            name="ratePercent"
            label={t("ratePercent")}
            rules={[{ required: true, pattern: /^\d+(\.\d{1,2})?$/ }]}
          >
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
        <Form.Item name="purpose" label={t("purpose")} rules={[{ required: true }]}>
          <Input />
        </Form.Item>
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
