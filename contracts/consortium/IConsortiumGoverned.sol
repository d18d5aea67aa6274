// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title IConsortiumGoverned
/// @notice Shared by every consortium contract whose parameters only the governor may change.
interface IConsortiumGoverned {
    /// @notice `caller` is not the consortium governor `governor`.
    error ConsortiumNotGovernor(address caller, address governor);

    /// @notice The semantic version of this contract's interface and rules.
    function version() external pure returns (string memory);
}
