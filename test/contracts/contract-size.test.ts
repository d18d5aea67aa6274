// Every contract the deployment script creates fits the chain's limits: its creation transaction's
// data (creation code plus the encoded constructor arguments the script passes) within EIP-3860's
// 49,152 bytes and the code it leaves within EIP-170's 24,576 bytes. The ledger sits close to the
// first limit, and a chain refuses an oversized creation only with a bare "missing revert data".
import { expect } from "chai";
import { ContractFactory, Wallet, ZeroAddress } from "ethers";
import { network } from "hardhat";
import {
  DEFAULT_LEDGER_PARAMS,
  DEFAULT_STAGE_THRESHOLDS,
  loadArtifact,
} from "../../scripts/ops/deploy/consortium.ts";

const MAX_INITCODE_BYTES = 49_152;
const MAX_CODE_BYTES = 24_576;

/** The constructor arguments scripts/ops/deploy/consortium.ts passes (addresses only stand in). */
const DEPLOYED: Record<string, unknown[]> = {
  ConsortiumRegistry: [],
  ConsortiumGovernor: [ZeroAddress, 5000, 7 * 24 * 3600],
  EvidenceLog: [ZeroAddress],
  EvidenceRegistry: [ZeroAddress, ZeroAddress],
  JointLoanLedger: [ZeroAddress, DEFAULT_LEDGER_PARAMS],
  DisputeResolution: [ZeroAddress, ZeroAddress, DEFAULT_STAGE_THRESHOLDS],
};

const bytes = (hex: string) => (hex.length - 2) / 2;

describe("contract sizes against the chain's limits", function () {
  for (const [name, args] of Object.entries(DEPLOYED)) {
    it(`${name}: creation data ≤ ${MAX_INITCODE_BYTES} bytes (EIP-3860)`, async function () {
      const { abi, bytecode } = await loadArtifact(name);
      const tx = await new ContractFactory(abi, bytecode).getDeployTransaction(...args);
      const size = bytes(tx.data);
      expect(size, `${name}'s creation data is ${size} bytes`).to.be.at.most(MAX_INITCODE_BYTES);
    });
  }

  it("the ledger and the contracts its constructor creates each leave at most 24,576 bytes of code (EIP-170)", async function () {
    const { ethers } = await network.create();
    const [deployer] = await ethers.getSigners();
    const { abi, bytecode } = await loadArtifact("JointLoanLedger");
    const registry = Wallet.createRandom().address;
    const ledger = await new ContractFactory(abi, bytecode, deployer).deploy(registry, DEFAULT_LEDGER_PARAMS);
    await ledger.waitForDeployment();
    const created = [await ledger.getAddress()];
    // the constructor's own creations: the contract's first nonces
    for (let nonce = 1; nonce <= 2; nonce++)
      created.push(ethers.getCreateAddress({ from: created[0]!, nonce }));
    for (const address of created) {
      const size = bytes(await ethers.provider.getCode(address));
      expect(size, `code at ${address}`).to.be.greaterThan(0).and.at.most(MAX_CODE_BYTES);
    }
  });
});
