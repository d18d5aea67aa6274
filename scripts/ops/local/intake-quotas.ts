// The per-member anchor intake quotas a new deployment sets through governance (ConsortiumRegistry
// parameters the anchor service reads; anchor-service/src/intake/quota.ts). Without them the
// service's own defaults apply, which are sized so one member can load the whole capacity (the
// benchmarks, which build their own chains, rely on that); a consortium wants each member held to
// its share. `npm start` (deployment.ts) and the Besu deployment (scripts/ops/network/deploy.ts) set
// the same values; why these: scripts/ops/local/README.md, "Anchor intake quotas".
import type { Provider } from "ethers";
import { ConsortiumRegistry } from "../../../common/chain/generated/contracts.ts";
import { RegistryReader } from "../../../common/chain/registry.ts";
import {
  QUOTA_PARAMETER_KEYS,
  type IntakeQuotaParameters,
} from "../../../anchor-service/src/chain/evidence-log-client.ts";

/**
 * Five members share ≈ 60,000 records/s of measured capacity: 10,000/s each keeps all five at
 * full rate within it, and one member at most a sixth of it. 5,000,000/day is 500 s at the full
 * rate, ≈ 58/s sustained: ample for a member's evidence, a bound on a runaway client's.
 */
export const INITIAL_INTAKE_QUOTAS: IntakeQuotaParameters = {
  recordsPerSecond: 10_000,
  recordsPerDay: 5_000_000,
};

/** The governance calls that set the quotas on `consortiumRegistry`. */
export function intakeQuotaCalls(
  consortiumRegistry: string,
  quotas: IntakeQuotaParameters = INITIAL_INTAKE_QUOTAS,
): Array<{ target: string; data: string }> {
  return [
    {
      target: consortiumRegistry,
      data: ConsortiumRegistry.interface.encodeFunctionData("setParameter", [
        QUOTA_PARAMETER_KEYS.recordsPerSecond,
        quotas.recordsPerSecond,
      ]),
    },
    {
      target: consortiumRegistry,
      data: ConsortiumRegistry.interface.encodeFunctionData("setParameter", [
        QUOTA_PARAMETER_KEYS.recordsPerDay,
        quotas.recordsPerDay,
      ]),
    },
  ];
}

/** The quotas on chain now; 0 means unset (the anchor service's defaults apply). */
export async function intakeQuotasOnChain(
  provider: Provider,
  consortiumRegistry: string,
): Promise<IntakeQuotaParameters> {
  const registry = new RegistryReader(consortiumRegistry, provider);
  const [perSecond, perDay] = await Promise.all([
    registry.parameter(QUOTA_PARAMETER_KEYS.recordsPerSecond),
    registry.parameter(QUOTA_PARAMETER_KEYS.recordsPerDay),
  ]);
  return { recordsPerSecond: Number(perSecond), recordsPerDay: Number(perDay) };
}

/** One line for a log: the governed values, or that the service's defaults apply. */
export function describeIntakeQuotas(q: IntakeQuotaParameters): string {
  const one = (value: number, unit: string) =>
    value > 0
      ? `${value.toLocaleString("en-US")} records/${unit}`
      : `records/${unit} unset (the anchor service's default)`;
  return `anchor intake quotas per member (governed ConsortiumRegistry parameters): ${one(q.recordsPerSecond, "s")}, ${one(q.recordsPerDay, "day")}`;
}
