// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {IJointLoanLedger} from "../lending/IJointLoanLedger.sol";

/// @title LoanPacking
/// @notice The ledger's packed loan storage, read and written in one place (JointLoanLedger,
/// LedgerExtension and Settlement all use it).
/// @dev Schedule: three 80-bit installments a word, low first, each due day 16 | principal 32 |
/// interest 32. Funding word, low bits first: funder 0 (memberId 32 | share 16), funder 1 (48),
/// principal repaid (40), next installment (8), the current installment's principal and interest
/// paid (32 each), its penalty due (32) and the day penalty was last accrued (16).
library LoanPacking {
    uint256 internal constant INSTALLMENTS_PER_WORD = 3;
    uint256 private constant _INSTALLMENT_BITS = 80;
    uint256 private constant _FUNDER_BITS = 48;

    // ------------------------------------------------------------------ installments

    /// @notice Installment `index` of schedule `words`, packed (due day 16 | principal 32 | interest 32).
    function installment(uint256[] memory words, uint256 index) internal pure returns (uint256) {
        return words[index / INSTALLMENTS_PER_WORD] >> (_INSTALLMENT_BITS * (index % INSTALLMENTS_PER_WORD));
    }

    /// @notice Installment `index` of the schedule in storage, packed.
    function installmentIn(mapping(uint256 word => uint256) storage words, uint256 index) internal view returns (uint256) {
        return words[index / INSTALLMENTS_PER_WORD] >> (_INSTALLMENT_BITS * (index % INSTALLMENTS_PER_WORD));
    }

    function dueDay(uint256 packed) internal pure returns (uint256) {
        return (packed >> 64) & 0xffff;
    }

    function principal(uint256 packed) internal pure returns (uint256) {
        return (packed >> 32) & 0xffffffff;
    }

    function interest(uint256 packed) internal pure returns (uint256) {
        return packed & 0xffffffff;
    }

    /// @notice A packed installment's due day, principal and interest.
    function unpack(uint256 packed) internal pure returns (uint256, uint256, uint256) {
        return (dueDay(packed), principal(packed), interest(packed));
    }

    /// @notice Overwrite installment `index` of schedule `words`.
    function setInstallment(uint256[] memory words, uint256 index, uint256 due, uint256 principal_, uint256 interest_)
        internal
        pure
    {
        uint256 shift = _INSTALLMENT_BITS * (index % INSTALLMENTS_PER_WORD);
        uint256 packed = due << 64 | principal_ << 32 | interest_;
        words[index / INSTALLMENTS_PER_WORD] =
            (words[index / INSTALLMENTS_PER_WORD] & ~(uint256(type(uint80).max) << shift)) | packed << shift;
    }

    /// @notice Store `list` as the schedule in `words`.
    function storeSchedule(mapping(uint256 word => uint256) storage words, IJointLoanLedger.Installment[] calldata list)
        internal
    {
        uint256 count = list.length;
        uint256 word;
        for (uint256 i = 0; i < count; ++i) {
            IJointLoanLedger.Installment calldata inst = list[i];
            uint256 packed = uint256(inst.dueDay) << 64 | uint256(inst.principal) << 32 | inst.interest;
            word |= packed << (_INSTALLMENT_BITS * (i % INSTALLMENTS_PER_WORD));
            if (i % INSTALLMENTS_PER_WORD == INSTALLMENTS_PER_WORD - 1 || i + 1 == count) {
                words[i / INSTALLMENTS_PER_WORD] = word;
                word = 0;
            }
        }
    }

    /// @notice The words of a stored schedule of `count` installments, in memory.
    function loadSchedule(mapping(uint256 word => uint256) storage words, uint256 count)
        internal
        view
        returns (uint256[] memory list)
    {
        list = new uint256[](Math.ceilDiv(count, INSTALLMENTS_PER_WORD));
        for (uint256 w = 0; w < list.length; ++w) {
            list[w] = words[w];
        }
    }

    /// @notice Installments `from` up to `count` of schedule `words`.
    function installments(uint256[] memory words, uint256 from, uint256 count)
        internal
        pure
        returns (IJointLoanLedger.Installment[] memory list)
    {
        list = new IJointLoanLedger.Installment[](count - from);
        for (uint256 i = from; i < count; ++i) {
            uint256 packed = installment(words, i);
            // cannot truncate: 16/32/32-bit fields
            list[i - from] = IJointLoanLedger.Installment(uint16(packed >> 64), uint32(packed >> 32), uint32(packed));
        }
    }

    // ------------------------------------------------------------------ funding word

    /// @notice Funder `index`'s field (memberId 32 | share 16) placed in a funding word.
    function packFunder(uint32 memberId, uint16 shareBps, uint256 index) internal pure returns (uint256) {
        return (uint256(memberId) << 16 | shareBps) << (_FUNDER_BITS * index);
    }

    function funder(uint256 word, uint256 index) internal pure returns (IJointLoanLedger.Funder memory) {
        uint256 packed = word >> (_FUNDER_BITS * index);
        // cannot truncate: masked to the packed widths
        return IJointLoanLedger.Funder(uint32(packed >> 16), uint16(packed));
    }

    /// @notice The first `count` funders' shares.
    function shares(uint256 word, uint256 count) internal pure returns (uint16[] memory list) {
        list = new uint16[](count);
        for (uint256 i = 0; i < count; ++i) {
            // cannot truncate: the low 16 bits of each funder field are its share
            list[i] = uint16(word >> (_FUNDER_BITS * i));
        }
    }

    function nextInstallment(uint256 word) internal pure returns (uint256) {
        return uint8(word >> 136);
    }

    /// @notice Whether anything was paid of, or any penalty accrued on, the installment in progress.
    function currentTouched(uint256 word) internal pure returns (bool) {
        return word >> 144 != 0;
    }

    /// @notice What was paid of the installment in progress: principal and interest.
    function currentPaid(uint256 word) internal pure returns (uint256, uint256) {
        return (uint32(word >> 144), uint32(word >> 176));
    }

    /// @notice The penalty due on the installment in progress and the day it was last accrued.
    function penalty(uint256 word) internal pure returns (uint256 due, uint256 accruedDay) {
        return (uint32(word >> 208), uint16(word >> 240));
    }

    function unpackProgress(uint256 word) internal pure returns (IJointLoanLedger.Progress memory p) {
        // cannot truncate: each field is masked to its width by the cast
        p.principalRepaid = uint40(word >> 96);
        p.nextInstallment = uint8(word >> 136);
        p.currentPrincipalPaid = uint32(word >> 144);
        p.currentInterestPaid = uint32(word >> 176);
        p.penaltyDue = uint32(word >> 208);
        p.penaltyAccruedDay = uint16(word >> 240);
    }

    /// @notice `word` with its progress bits replaced, the funders in its low 96 bits kept.
    function packProgress(uint256 word, IJointLoanLedger.Progress memory p) internal pure returns (uint256) {
        return (word & type(uint96).max) | uint256(p.principalRepaid) << 96 | uint256(p.nextInstallment) << 136
            | uint256(p.currentPrincipalPaid) << 144 | uint256(p.currentInterestPaid) << 176
            | uint256(p.penaltyDue) << 208 | uint256(p.penaltyAccruedDay) << 240;
    }
}
