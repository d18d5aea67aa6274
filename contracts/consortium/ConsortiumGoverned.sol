// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IConsortiumGoverned} from "./IConsortiumGoverned.sol";
import {IConsortiumRegistry} from "./IConsortiumRegistry.sol";

/// @title ConsortiumGoverned
/// @notice Base for consortium contracts: membership comes from the registry, and parameters
/// change only by a call from the registry's current governor (one source of truth, so replacing
/// the governor in the registry moves every contract at once).
abstract contract ConsortiumGoverned is IConsortiumGoverned {
    IConsortiumRegistry internal immutable _registry;

    constructor(IConsortiumRegistry registry_) {
        _registry = registry_;
    }

    modifier onlyGovernor() {
        _checkGovernor();
        _;
    }

    /// @notice The registry this contract reads membership from.
    function registry() external view returns (IConsortiumRegistry) {
        return _registry;
    }

    function _checkGovernor() internal view {
        address governor = _registry.governor();
        if (msg.sender != governor) revert ConsortiumNotGovernor(msg.sender, governor);
    }
}
