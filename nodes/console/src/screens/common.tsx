// What every screen shares: loading a node answer with its error shown, and an error line.
import { Alert } from "antd";
import { useCallback, useEffect, useState } from "react";
import { ApiError } from "../api.ts";

export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]) {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const [loading, setLoading] = useState(true);
  const run = useCallback(load, deps);
  const reload = useCallback(async () => {
    setLoading(true);
    try {
      setData(await run());
      setError(undefined);
    } catch (e) {
      setError(describe(e));
    } finally {
      setLoading(false);
    }
  }, [run]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, loading, reload };
}

export function describe(error: unknown): string {
  return error instanceof ApiError ? `${error.code}: ${error.message}` : (error as Error).message;
}

export function ErrorLine({ error }: { error: string | undefined }) {
  return error === undefined ? null : (
    <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} role="alert" />
  );
}
