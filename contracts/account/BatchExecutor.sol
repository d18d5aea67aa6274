// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC7821} from "@openzeppelin/contracts/account/extensions/draft-ERC7821.sol";

/// @title BatchExecutor
/// @notice The code a consortium member's own account delegates to (EIP-7702) so that it can send
/// many of its calls in one transaction: the account sends `execute(mode, calls)` to itself and
/// every call reaches its target with `msg.sender` = the account, all of them or none. The ledger
/// and the registry check `msg.sender`, and the ledger's creation code has no room for a multicall,
/// so the batch is made where the sender is.
/// @dev OpenZeppelin's ERC-7821 executor unchanged: single batch mode only, and only the account
/// itself may execute (`AccountUnauthorized(caller)` otherwise), so nothing else can run through a
/// delegated account. No storage: the account's own storage is never written. Deployed at one
/// address on every chain through the CREATE2 factory (`common/chain/batch.ts`).
contract BatchExecutor is ERC7821 {
    /// @notice A delegated account still takes plain transfers (a member's account is topped up with
    /// gas money like any other).
    receive() external payable {}

    function version() external pure returns (string memory) {
        return "1.0.0";
    }
}
