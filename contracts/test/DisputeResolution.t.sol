// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IDisputeResolution} from "../lending/IDisputeResolution.sol";
import {IJointLoanLedger} from "../lending/IJointLoanLedger.sol";
import {Vm} from "./utils/Vm.sol";
import {LendingFixture} from "./utils/LendingFixture.sol";

contract DisputeResolutionTest is LendingFixture {
    bytes32 private constant STAGE_CHANGED = keccak256("DisputeStageChanged(bytes32,uint8,uint8)");
    bytes32 private _loanId;
    uint256 private _firstDue;

    function setUp() public override {
        super.setUp();
        _loanId = _register(_terms("DISPUTE", 1_200_000, 3000, 12));
        _disburseAll(_loanId);
        _firstDue = ledger.schedule(_loanId)[0].dueDay;
    }

    function _stage() private view returns (IJointLoanLedger.DisputeStage stage) {
        (,, stage) = ledger.overdue(_loanId);
    }

    function _escalateAt(uint256 daysLate) private returns (IJointLoanLedger.DisputeStage) {
        vm.warp(_dayStart(_firstDue + daysLate));
        vm.prank(platformOps);
        return disputes.escalate(_loanId);
    }

    function test_escalate_movesThroughStagesAtThresholds() external {
        assertTrue(_escalateAt(2) == IJointLoanLedger.DisputeStage.None, "2 days: nothing");
        assertTrue(_escalateAt(3) == IJointLoanLedger.DisputeStage.Reminder, "3 days: reminder");
        assertTrue(_escalateAt(6) == IJointLoanLedger.DisputeStage.Reminder, "idempotent");
        assertTrue(_escalateAt(7) == IJointLoanLedger.DisputeStage.Mediation, "7 days: mediation");
        assertTrue(_escalateAt(15) == IJointLoanLedger.DisputeStage.Arbitration, "15 days: arbitration");
        assertEq(disputes.caseOf(_loanId).caseId, disputes.caseIdOf(_loanId, block.timestamp), "case opened");
        assertEq(disputes.caseOf(_loanId).triggeredAt, block.timestamp, "trigger time");
    }

    function test_escalate_skippingStagesStillEmitsEach() external {
        vm.recordLogs();
        _escalateAt(20);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 changes;
        for (uint256 i = 0; i < logs.length; ++i) {
            if (logs[i].topics[0] != STAGE_CHANGED) continue;
            (uint8 previous, uint8 next) = abi.decode(logs[i].data, (uint8, uint8));
            assertEq(next, previous + 1, "one stage at a time");
            assertEq(next, ++changes, "in order");
        }
        assertEq(changes, 3, "reminder, mediation, arbitration");
    }

    function test_escalate_byNonMemberReverts() external {
        vm.warp(_dayStart(_firstDue + 20));
        vm.prank(outsider);
        vm.expectRevert(abi.encodeWithSelector(IDisputeResolution.DisputeNotActiveMember.selector, outsider));
        disputes.escalate(_loanId);
    }

    function test_repayingTheLateAmountEndsEscalation() external {
        _escalateAt(8);
        assertTrue(_stage() == IJointLoanLedger.DisputeStage.Mediation, "mediation");
        // only the first installment is late, so all the penalty owed is its own
        (uint256 penalty,,) = ledger.amountOwed(_loanId);
        IJointLoanLedger.Installment memory first = ledger.schedule(_loanId)[0];
        _repay(_loanId, penalty + first.interest + first.principal);
        assertTrue(_stage() == IJointLoanLedger.DisputeStage.None, "escalation ended");
    }

    function test_arbitration_courtAcceptsRulesAndCloses() external {
        _escalateAt(16);
        vm.prank(branchAOps);
        vm.expectRevert(abi.encodeWithSelector(IDisputeResolution.DisputeNotUnion.selector, branchAOps));
        disputes.assignCourt(_loanId, COURT);
        vm.prank(unionOps);
        vm.expectRevert(abi.encodeWithSelector(IDisputeResolution.DisputeNotCourt.selector, PLATFORM));
        disputes.assignCourt(_loanId, PLATFORM);
        vm.prank(unionOps);
        disputes.assignCourt(_loanId, COURT);
        vm.prank(platformOps);
        vm.expectRevert(
            abi.encodeWithSelector(IDisputeResolution.DisputeNotAssignedCourt.selector, _loanId, platformOps, COURT)
        );
        disputes.acceptCase(_loanId);
        vm.startPrank(courtOps);
        vm.expectRevert(
            abi.encodeWithSelector(
                IDisputeResolution.DisputeWrongStage.selector, _loanId, IJointLoanLedger.DisputeStage.Arbitration
            )
        );
        disputes.recordRuling(_loanId, keccak256("ruling"));
        disputes.acceptCase(_loanId);
        disputes.recordRuling(_loanId, keccak256("ruling"));
        disputes.closeCase(_loanId);
        vm.stopPrank();
        assertTrue(_stage() == IJointLoanLedger.DisputeStage.Closed, "closed");
        assertEq(disputes.caseOf(_loanId).ruling, keccak256("ruling"), "ruling digest kept");
        // settling after acceptance does not undo the case
        _settle(_loanId);
        assertTrue(_stage() == IJointLoanLedger.DisputeStage.Closed, "still closed");
        assertTrue(ledger.loan(_loanId).state == IJointLoanLedger.LoanState.Settled, "settled");
    }

    function test_arbitration_aCuredCasesCourtCannotAcceptTheNextCase() external {
        _escalateAt(16);
        vm.prank(unionOps);
        disputes.assignCourt(_loanId, COURT);
        bytes32 firstCase = disputes.caseOf(_loanId).caseId;
        // the borrower pays everything late before acceptance: escalation ends
        (uint256 penalty,,) = ledger.amountOwed(_loanId);
        IJointLoanLedger.Installment memory first = ledger.schedule(_loanId)[0];
        _repay(_loanId, penalty + first.interest + first.principal);
        assertTrue(_stage() == IJointLoanLedger.DisputeStage.None, "ended");
        // the next installment goes unpaid long enough for a new case
        IJointLoanLedger.Installment memory second = ledger.schedule(_loanId)[1];
        vm.warp(_dayStart(second.dueDay + 16));
        vm.prank(platformOps);
        disputes.escalate(_loanId);
        IDisputeResolution.Case memory next = disputes.caseOf(_loanId);
        assertTrue(next.caseId != firstCase, "a new case id");
        assertEq(next.court, 0, "no court assigned yet");
        vm.prank(courtOps);
        vm.expectRevert(abi.encodeWithSelector(IDisputeResolution.DisputeNotAssignedCourt.selector, _loanId, courtOps, 0));
        disputes.acceptCase(_loanId);
    }

    function test_setDisputeStage_onlyByDisputeResolution() external {
        vm.prank(unionOps);
        vm.expectRevert(abi.encodeWithSelector(IJointLoanLedger.LedgerNotDisputeResolution.selector, unionOps));
        ledger.setDisputeStage(_loanId, IJointLoanLedger.DisputeStage.Closed);
    }

    function test_setThresholds_validatedAndGoverned() external {
        vm.prank(address(governor));
        vm.expectRevert(abi.encodeWithSelector(IDisputeResolution.DisputeBadThresholds.selector, 5, 5, 15));
        disputes.setThresholds(IDisputeResolution.Thresholds(5, 5, 15));
        _govern(address(disputes), abi.encodeCall(IDisputeResolution.setThresholds, (IDisputeResolution.Thresholds(1, 2, 30))));
        assertTrue(_escalateAt(2) == IJointLoanLedger.DisputeStage.Mediation, "new thresholds apply");
    }
}
