// @peculiar/x509, ready to use: its dependency injection needs the Reflect metadata polyfill loaded
// first, and its crypto is Node's WebCrypto. Import x509 from here, never from the package.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(globalThis.crypto);

export { x509 };
