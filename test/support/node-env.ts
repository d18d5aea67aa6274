// A complete, valid environment for the institution node's configuration (nodeConfigFromEnv):
// what a configuration test starts from and changes one variable of. (No describe/it here:
// Hardhat mocha loads it like a test.)
export const NODE_ENV_EXAMPLE: Readonly<Record<string, string>> = {
  NODE_DATA_DIR: "data/node",
  NODE_MEMBER_ID: "2",
  NODE_MEMBER_KIND: "branch",
  NODE_KEYSTORE_FILE: "keys/branchA.json",
  NODE_KEYSTORE_PASSWORD: "secret",
  NODE_MASTER_KEY_FILE: "keys/branchA.master.key",
  NODE_CONSORTIUM_KEY: `0x${"11".repeat(32)}`,
  NODE_RPC_URL: "http://127.0.0.1:8545",
  NODE_ANCHOR_URL: "http://127.0.0.1:9545",
  NODE_CONSORTIUM_REGISTRY: `0x${"22".repeat(20)}`,
  NODE_JOINT_LOAN_LEDGER: `0x${"33".repeat(20)}`,
  NODE_DISPUTE_RESOLUTION: `0x${"44".repeat(20)}`,
  NODE_EVIDENCE_REGISTRY: `0x${"55".repeat(20)}`,
};
