// The post-loan services' common frame: their dependencies, and a policy that is the one given in
// them or the service's default (notices, mediation, the nightly batch).
export abstract class PolicyService<Policy, Deps extends { policy?: Policy }> {
  readonly deps: Deps;
  readonly policy: Policy;

  protected constructor(deps: Deps, defaults: Policy) {
    this.deps = deps;
    this.policy = deps.policy ?? defaults;
  }
}
