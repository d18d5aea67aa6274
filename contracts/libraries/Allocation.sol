// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title Allocation
/// @notice Exact integer splitting of fen amounts among funders by basis-point shares.
/// @dev Largest-remainder (Hamilton) apportionment: each funder gets floor(amount × share / 10000),
/// and the fen left over go one each to the largest fractional remainders, ties to the earlier
/// funder. The parts always sum to `amount` exactly. For the two funders a loan can have (branch
/// and platform) this equals rounding the first share half-up, which is monotone in `amount`;
/// that is what lets the ledger split *cumulative* principal so every funder recovers exactly
/// what it disbursed (see JointLoanLedger). Mirrored by `splitByShares` in common/lending.
library Allocation {
    uint256 internal constant BPS = 10_000;

    /// @notice Split `amount` by `shares` (basis points summing to 10,000; at most 8 entries).
    function split(uint256 amount, uint16[] memory shares) internal pure returns (uint256[] memory parts) {
        uint256 count = shares.length;
        parts = new uint256[](count);
        uint256[] memory remainders = new uint256[](count);
        uint256 assigned;
        for (uint256 i = 0; i < count; ++i) {
            uint256 exact = amount * shares[i];
            parts[i] = exact / BPS;
            remainders[i] = exact % BPS;
            assigned += parts[i];
        }
        // cannot underflow: each floor is at most its exact share, and shares sum to 10,000;
        // fewer than `count` fen are left because each floor loses less than one
        uint256 left = amount - assigned;
        while (left != 0) {
            uint256 best;
            for (uint256 i = 1; i < count; ++i) {
                if (remainders[i] > remainders[best]) best = i;
            }
            ++parts[best];
            remainders[best] = 0;
            --left;
        }
    }
}
