// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @notice Test-only: a target that, like the ledger, acts on `msg.sender`: it records who called
/// it under a key, and refuses on demand with a custom error carrying the caller.
contract SenderRecorder {
    error SenderRecorderRefused(address sender, uint256 value);

    event Recorded(bytes32 indexed key, address sender);

    mapping(bytes32 key => address sender) public senderOf;

    function record(bytes32 key) external {
        senderOf[key] = msg.sender;
        emit Recorded(key, msg.sender);
    }

    function refuse(uint256 value) external view {
        revert SenderRecorderRefused(msg.sender, value);
    }
}
