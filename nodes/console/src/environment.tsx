// The chain the node writes to, as every console page states it: a development chain (chain id
// 31337, or one the node is configured to treat as such) is marked as a test environment in a
// banner above every page, the login page included (GET /v1/environment is open).
import { Alert } from "antd";
import { useEffect, useState } from "react";
import { api } from "./api.ts";
import { useT } from "./i18n.ts";

type Environment = { chainId: string; testEnvironment: boolean };

export function TestEnvironmentBanner() {
  const { t } = useT();
  const [environment, setEnvironment] = useState<Environment>();
  useEffect(() => {
    api<Environment>("GET", "/v1/environment")
      .then(setEnvironment)
      .catch(() => setEnvironment(undefined));
  }, []);
  if (environment?.testEnvironment !== true) return null;
  return (
    <Alert
      banner
      type="warning"
      data-testid="test-environment"
      title={`${t("testEnv")} · ${t("testEnvNotice").replace("%s", environment.chainId)}`}
    />
  );
}
