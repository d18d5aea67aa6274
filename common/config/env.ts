// One way to read a service's configuration: each field from its environment variable (empty
// means unset), validated by the service's zod schema; every problem reported by variable name.
import { z } from "zod";

export function parseEnvConfig<S extends z.ZodType>(
  schema: S,
  names: Record<string, string>,
  env: NodeJS.ProcessEnv,
  service: string,
): z.output<S> {
  const raw: Record<string, unknown> = {};
  for (const [field, name] of Object.entries(names))
    if (env[name] !== undefined && env[name] !== "") raw[field] = env[name];
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `  ${names[String(i.path[0])] ?? String(i.path[0])}: ${i.message}`,
    );
    throw new Error(`invalid ${service} configuration:\n${lines.join("\n")}`);
  }
  return parsed.data;
}

/** A comma-separated environment value (or an array, from code) of `item`s; blanks dropped. */
export function commaList(item: z.ZodType<string, string>) {
  return z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : v.split(",")).map((a) => a.trim()).filter((a) => a !== ""))
    .pipe(z.array(item));
}
