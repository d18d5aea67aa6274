// The frame of a room (or a service the rooms share) that is a class over the dependencies it
// names: it keeps them as `deps`. (The node runs TypeScript by type stripping, which has no
// constructor parameter properties.)
export abstract class Room<Deps> {
  readonly deps: Deps;

  constructor(deps: Deps) {
    this.deps = deps;
  }
}
