// The admin's screens: staff accounts (create, role, disable / re-enable, rotate the token, a
// new token shown once) and the audit trail (newest first, exported as CSV).
import { Alert, Button, Card, Form, Input, Modal, Select, Space, Switch, Tag, Typography } from "antd";
import { useState } from "react";
import type { z } from "zod";
import type { AccountsReply, AuditReply } from "../../../src/staff/schemas.ts";
import { api, download } from "../api.ts";
import { useT } from "../i18n.ts";
import { ErrorLine, ListTable, describe, timeColumn, useLoad } from "./common.tsx";

type Accounts = z.infer<typeof AccountsReply>;
type Audit = z.infer<typeof AuditReply>;
const ROLES = ["clerk", "approver", "admin", "court-clerk"].map((r) => ({ label: r, value: r }));

export function StaffScreen() {
  const { t } = useT();
  const accounts = useLoad(() => api<Accounts>("GET", "/v1/staff/accounts"), []);
  const [error, setError] = useState<string>();
  const [shown, setShown] = useState<{ user: string; token: string }>();
  const act = async (work: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await work();
    } catch (e) {
      setError(describe(e));
    }
    await accounts.reload();
  };
  return (
    <Space orientation="vertical" style={{ width: "100%" }} size="middle">
      <Card title={t("createAccount")} size="small">
        <Form
          layout="inline"
          onFinish={(v: { user: string; role: string }) =>
            act(async () => {
              const reply = await api<{ token: string }>("POST", "/v1/staff/accounts", v);
              setShown({ user: v.user, token: reply.token });
            })
          }
        >
          <Form.Item name="user" label={t("user")} rules={[{ required: true }]}>
            <Input />
          </Form.Item>
          <Form.Item name="role" label={t("role")} rules={[{ required: true }]} initialValue="clerk">
            <Select style={{ width: 140 }} options={ROLES} />
          </Form.Item>
          <Button type="primary" htmlType="submit">
            {t("submit")}
          </Button>
        </Form>
      </Card>
      <ErrorLine error={error ?? accounts.error} />
      <Card title={t("staff")}>
        <ListTable
          rowKey="user"
          loaded={{ loading: accounts.loading }}
          rows={accounts.data?.accounts}
          columns={[
            { title: t("user"), dataIndex: "user" },
            {
              title: t("role"),
              render: (_: unknown, a) => (
                <Select
                  size="small"
                  value={a.role}
                  style={{ width: 130 }}
                  options={ROLES}
                  onChange={(role) => act(() => api("PUT", `/v1/staff/accounts/${a.user}`, { role }))}
                />
              ),
            },
            {
              title: t("enabled"),
              render: (_: unknown, a) => (
                <Switch
                  checked={!a.disabled}
                  onChange={(on) => act(() => api("PUT", `/v1/staff/accounts/${a.user}`, { disabled: !on }))}
                />
              ),
            },
            timeColumn(t("changedAt"), "changedAt"),
            {
              title: t("action"),
              render: (_: unknown, a) => (
                <Button
                  size="small"
                  onClick={() =>
                    act(async () => {
                      const reply = await api<{ token: string }>(
                        "POST",
                        `/v1/staff/accounts/${a.user}/token`,
                      );
                      setShown({ user: a.user, token: reply.token });
                    })
                  }
                >
                  {t("rotate")}
                </Button>
              ),
            },
          ]}
        />
      </Card>
      <Modal
        open={shown !== undefined}
        title={t("newToken")}
        onOk={() => setShown(undefined)}
        onCancel={() => setShown(undefined)}
      >
        <Alert type="warning" showIcon title={shown?.user} />
        <Typography.Paragraph
          copyable
          code
          style={{ marginTop: 12, wordBreak: "break-all" }}
          data-testid="new-token"
        >
          {shown?.token}
        </Typography.Paragraph>
      </Modal>
    </Space>
  );
}

export function AuditScreen() {
  const { t } = useT();
  const [user, setUser] = useState("");
  const trail = useLoad(
    () =>
      api<Audit>("GET", `/v1/staff/audit?limit=500${user === "" ? "" : `&user=${encodeURIComponent(user)}`}`),
    [user],
  );
  const [error, setError] = useState<string>();
  return (
    <Card
      title={t("audit")}
      extra={
        <Space wrap>
          <Input.Search
            allowClear
            placeholder={t("user")}
            aria-label={t("user")}
            onSearch={(v) => setUser(v.trim())}
            style={{ width: 200 }}
          />
          <Button onClick={() => void trail.reload()}>{t("refresh")}</Button>
          <Button
            onClick={() =>
              download("/v1/staff/audit.csv", "audit.csv").catch((e: unknown) => setError(describe(e)))
            }
          >
            {t("exportCsv")}
          </Button>
        </Space>
      }
    >
      <ErrorLine error={error ?? trail.error} />
      <ListTable
        rowKey="seq"
        loaded={{ loading: trail.loading }}
        rows={trail.data?.entries}
        columns={[
          { title: "#", dataIndex: "seq" },
          timeColumn(t("time"), "at"),
          { title: t("user"), dataIndex: "user" },
          { title: t("role"), dataIndex: "role" },
          { title: t("action"), dataIndex: "action" },
          {
            title: t("status"),
            dataIndex: "status",
            render: (s: number) => <Tag color={s < 400 ? "green" : "red"}>{s}</Tag>,
          },
          { title: t("note"), dataIndex: "note" },
        ]}
      />
    </Card>
  );
}
