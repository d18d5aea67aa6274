// The configuration fields both services share: who may read their operations routes (/metrics,
// /readyz; common/service/ops-access.ts) and their log level. Each service spreads them into its
// own schema, under its own variable names.
import { isIP } from "node:net";
import { z } from "zod";

/** An IP address, or a CIDR block (address/prefix length: 10.0.0.0/8, ::1/128). */
export function isAddressOrBlock(text: string): boolean {
  const [address, prefix, ...rest] = text.split("/");
  const family = isIP(address ?? "");
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^[0-9]{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

export const OPS_CONFIG_FIELDS = {
  /** /metrics and /readyz: a bearer token they require (at least 16 characters). Unset: open. */
  metricsToken: z.string().min(16).optional(),
  /** /metrics and /readyz: the client addresses (IPs or CIDR blocks, comma-separated) they answer. Unset: any. */
  metricsAllowedAddresses: z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : v.split(",")).map((a) => a.trim()).filter((a) => a !== ""))
    .refine(
      (list) => list.every(isAddressOrBlock),
      "must be IP addresses or CIDR blocks (10.0.0.0/8, ::1), comma-separated",
    )
    .optional(),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
};
