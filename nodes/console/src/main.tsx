// The back-office console: a login with a staff account, then the screens its role may use,
// in Chinese first with an English switch. Routes live in the hash (#/inbox, #/loans/0x…).
import {
  App as AntApp,
  Button,
  Card,
  ConfigProvider,
  Form,
  Input,
  Layout,
  Menu,
  Segmented,
  Space,
  Tag,
  Typography,
} from "antd";
import enUS from "antd/locale/en_US";
import zhCN from "antd/locale/zh_CN";
import { StrictMode, useEffect, useMemo, useState } from "react";
import { createRoot } from "react-dom/client";
import { api, savedSession, saveSession, whenUnauthenticated, type Session } from "./api.ts";
import { beijingTime } from "./format.ts";
import { LangContext, translator, useT, type Lang, type WordKey } from "./i18n.ts";
import { AuditScreen, StaffScreen } from "./screens/admin.tsx";
import { DecisionsScreen } from "./screens/decisions.tsx";
import { InboxScreen } from "./screens/inbox.tsx";
import { LoanScreen, LoansScreen } from "./screens/loans.tsx";
import { MoneyScreen } from "./screens/money.tsx";
import { BatchScreen } from "./screens/batch.tsx";
import { ReconcileScreen } from "./screens/reconcile.tsx";
import { CaseScreen, WarningsScreen } from "./screens/post-loan.tsx";
import { CourtScreen } from "./screens/court.tsx";
import { TestEnvironmentBanner } from "./environment.tsx";

type Screen = { key: string; word: WordKey; roles: readonly string[] };
const SCREENS: readonly Screen[] = [
  { key: "inbox", word: "inbox", roles: ["clerk", "approver", "admin"] },
  { key: "decisions", word: "decisions", roles: ["clerk", "approver", "admin"] },
  { key: "loans", word: "loans", roles: ["clerk", "approver", "admin", "court-clerk"] },
  { key: "money", word: "money", roles: ["clerk", "approver", "admin"] },
  { key: "batch", word: "batchFiles", roles: ["clerk", "approver", "admin"] },
  { key: "reconcile", word: "reconciliation", roles: ["clerk", "approver", "admin"] },
  { key: "warnings", word: "earlyWarnings", roles: ["approver", "admin"] },
  { key: "cases", word: "cases", roles: ["approver", "admin"] },
  { key: "court", word: "courtCase", roles: ["court-clerk", "admin"] },
  { key: "staff", word: "staff", roles: ["admin"] },
  { key: "audit", word: "audit", roles: ["admin"] },
];

function useHash(): string[] {
  const read = () =>
    window.location.hash
      .replace(/^#\/?/, "")
      .split("/")
      .filter((s) => s !== "");
  const [parts, setParts] = useState(read);
  useEffect(() => {
    const changed = () => setParts(read());
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  return parts;
}

function Login({ onLogin }: { onLogin: (session: Session) => void }) {
  const { t } = useT();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  return (
    <Card title={t("login")} style={{ maxWidth: 420, margin: "64px auto" }}>
      <Typography.Paragraph type="secondary">{t("loginHint")}</Typography.Paragraph>
      <Form
        layout="vertical"
        onFinish={async (values: { user: string; token: string }) => {
          setBusy(true);
          setError(undefined);
          try {
            const session = await api<Session>("POST", "/v1/staff/sessions", values);
            saveSession(session);
            onLogin(session);
          } catch (e) {
            setError((e as Error).message);
          } finally {
            setBusy(false);
          }
        }}
      >
        <Form.Item label={t("user")} name="user" rules={[{ required: true }]}>
          <Input autoComplete="username" />
        </Form.Item>
        <Form.Item label={t("token")} name="token" rules={[{ required: true }]}>
          <Input.Password autoComplete="current-password" />
        </Form.Item>
        {error === undefined ? null : (
          <Typography.Paragraph type="danger" role="alert">
            {error}
          </Typography.Paragraph>
        )}
        <Button type="primary" htmlType="submit" loading={busy} block>
          {t("login")}
        </Button>
      </Form>
    </Card>
  );
}

/** The longest delay setTimeout keeps (2^31 − 1 ms, about 24.8 days). */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

function Console() {
  const [lang, setLang] = useState<Lang>(() =>
    localStorage.getItem("jl.console.lang") === "en" ? "en" : "zh",
  );
  const [session, setSession] = useState<Session | undefined>(savedSession);
  const hash = useHash();
  const t = useMemo(() => translator(lang), [lang]);
  useEffect(() => {
    localStorage.setItem("jl.console.lang", lang);
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    document.title = t("title");
  }, [lang, t]);
  useEffect(() => whenUnauthenticated(() => setSession(undefined)), []);
  // the session ends on the node at expiresAt: the console leaves with it
  useEffect(() => {
    if (session === undefined) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const leaveAtExpiry = () => {
      const left = session.expiresAt - Date.now();
      if (left <= 0) {
        saveSession(undefined);
        setSession(undefined);
        return;
      }
      // a delay past setTimeout's limit fires at once: wait at most that long, then look again
      timer = setTimeout(leaveAtExpiry, Math.min(left, MAX_TIMER_DELAY_MS));
    };
    leaveAtExpiry();
    return () => clearTimeout(timer);
  }, [session]);

  const screens = SCREENS.filter((s) => session !== undefined && s.roles.includes(session.role));
  const current = screens.find((s) => s.key === hash[0]) ?? screens[0];
  const languageSwitch = (
    <Segmented
      size="small"
      value={lang}
      onChange={(v) => setLang(v as Lang)}
      options={[
        { label: "中文", value: "zh" },
        { label: "English", value: "en" },
      ]}
      aria-label="language"
    />
  );
  return (
    <LangContext.Provider value={{ lang, t }}>
      <ConfigProvider locale={lang === "zh" ? zhCN : enUS} theme={{ token: { colorPrimary: "#b7312c" } }}>
        <AntApp>
          <Layout style={{ minHeight: "100vh" }}>
            <Layout.Header
              style={{
                display: "flex",
                alignItems: "center",
                gap: 12,
                padding: "8px 16px",
                lineHeight: "normal",
                flexWrap: "wrap",
                height: "auto",
                minHeight: 64,
              }}
            >
              <Typography.Title level={4} style={{ color: "#fff", margin: 0, flex: "1 1 auto" }}>
                {t("title")}
              </Typography.Title>
              {languageSwitch}
              {session === undefined ? null : (
                <Space wrap style={{ color: "#fff" }}>
                  <span data-testid="signed-in">
                    {session.user} · <Tag color="gold">{session.role}</Tag>
                  </span>
                  <span style={{ fontSize: 12, opacity: 0.8 }}>
                    {t("sessionUntil")} {beijingTime(session.expiresAt)}
                  </span>
                  <Button
                    size="small"
                    onClick={async () => {
                      await api("DELETE", "/v1/staff/sessions/current").catch(() => undefined);
                      saveSession(undefined);
                      setSession(undefined);
                    }}
                  >
                    {t("logout")}
                  </Button>
                </Space>
              )}
            </Layout.Header>
            <TestEnvironmentBanner />
            {session === undefined || current === undefined ? (
              <Layout.Content style={{ padding: 16 }}>
                <Login onLogin={setSession} />
              </Layout.Content>
            ) : (
              <Layout>
                <Layout.Sider breakpoint="md" collapsedWidth={0} theme="light" width={200}>
                  <Menu
                    mode="inline"
                    selectedKeys={[current.key]}
                    items={screens.map((s) => ({
                      key: s.key,
                      label: <a href={`#/${s.key}`}>{t(s.word)}</a>,
                    }))}
                  />
                </Layout.Sider>
                <Layout.Content style={{ padding: 16, minWidth: 0 }}>
                  <ScreenBody screen={current.key} rest={hash.slice(1)} role={session.role} />
                </Layout.Content>
              </Layout>
            )}
          </Layout>
        </AntApp>
      </ConfigProvider>
    </LangContext.Provider>
  );
}

function ScreenBody({ screen, rest, role }: { screen: string; rest: string[]; role: string }) {
  switch (screen) {
    case "inbox":
      return <InboxScreen />;
    case "decisions":
      return <DecisionsScreen role={role} />;
    case "loans":
      return rest[0] === undefined ? <LoansScreen /> : <LoanScreen loanId={rest[0]} />;
    case "money":
      return <MoneyScreen />;
    case "batch":
      return <BatchScreen />;
    case "reconcile":
      return <ReconcileScreen />;
    case "warnings":
      return <WarningsScreen role={role} />;
    case "cases":
      return <CaseScreen loanId={rest[0]} />;
    case "court":
      return <CourtScreen loanId={rest[0]} />;
    case "staff":
      return <StaffScreen />;
    case "audit":
      return <AuditScreen />;
    default:
      return null;
  }
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <Console />
  </StrictMode>,
);
