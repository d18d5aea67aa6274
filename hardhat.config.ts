import { createRequire } from "node:module";
import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers";
import { defineConfig } from "hardhat/config";

// Solidity is compiled offline with the WASM compiler shipped by the pinned `solc` npm package;
// Hardhat's default would download solc, and the build must work with the npm registry as its only source.
const require = createRequire(import.meta.url);
const SOLC_VERSION = "0.8.28";

export default defineConfig({
  plugins: [hardhatToolboxMochaEthers],
  solidity: {
    version: SOLC_VERSION,
    path: require.resolve("solc/soljson.js"),
    settings: {
      optimizer: { enabled: true, runs: 10_000 },
      evmVersion: "cancun",
    },
  },
  paths: {
    tests: {
      mocha: "test",
      solidity: "contracts/test",
    },
  },
  test: {
    solidity: {
      // `npm test` depth; `npm run test:deep` raises all three through the environment
      fuzz: { runs: Number(process.env.FUZZ_RUNS ?? 512) },
      invariant: {
        runs: Number(process.env.INVARIANT_RUNS ?? 128),
        depth: Number(process.env.INVARIANT_DEPTH ?? 64),
      },
    },
  },
  typechain: {
    dontOverrideCompile: true,
  },
  networks: {
    hardhatMainnet: { type: "edr-simulated", chainType: "l1" },
  },
});
