// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Account} from "@openzeppelin/contracts/account/Account.sol";
import {ERC7821} from "@openzeppelin/contracts/account/extensions/draft-ERC7821.sol";
import {BatchExecutor} from "../account/BatchExecutor.sol";
import {SenderRecorder} from "./SenderRecorder.sol";
import {TestBase} from "./utils/TestBase.sol";

/// @notice A member's account delegated to BatchExecutor (EIP-7702) batches its own calls: each
/// reaches its target as the account, all or none, and nobody else can run calls through it.
contract BatchExecutorTest is TestBase {
    struct Execution {
        address target;
        uint256 value;
        bytes callData;
    }

    /// @dev ERC-7579 CALLTYPE_BATCH, EXECTYPE_DEFAULT: the one mode the executor runs.
    bytes32 private constant BATCH_MODE = bytes32(uint256(0x01) << 248);

    uint256 private constant MEMBER_KEY = 0xa11ce;
    BatchExecutor private _executor;
    SenderRecorder private _target;
    address private _member;

    function setUp() public {
        _executor = new BatchExecutor();
        _target = new SenderRecorder();
        _member = vm.addr(MEMBER_KEY);
        // what an applied EIP-7702 authorization leaves (Hardhat runs no delegation cheatcodes): the
        // designator, 0xef0100 || delegate, as the account's code
        vm.etch(_member, abi.encodePacked(hex"ef0100", address(_executor)));
    }

    function _records(bytes32 first, bytes32 second) private view returns (bytes memory) {
        Execution[] memory calls = new Execution[](2);
        calls[0] = Execution(address(_target), 0, abi.encodeCall(SenderRecorder.record, (first)));
        calls[1] = Execution(address(_target), 0, abi.encodeCall(SenderRecorder.record, (second)));
        return abi.encode(calls);
    }

    function test_delegation_setsTheDesignator() public view {
        assertEq(
            keccak256(_member.code),
            keccak256(abi.encodePacked(hex"ef0100", address(_executor))),
            "the account's code is the designator"
        );
    }

    function test_execute_eachCallSeesTheAccountAsSender() public {
        vm.prank(_member);
        BatchExecutor(payable(_member)).execute(BATCH_MODE, _records("first", "second"));
        assertEq(_target.senderOf("first"), _member, "first call's sender");
        assertEq(_target.senderOf("second"), _member, "second call's sender");
    }

    function test_execute_refusesAStranger() public {
        address stranger = account("stranger");
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(Account.AccountUnauthorized.selector, stranger));
        BatchExecutor(payable(_member)).execute(BATCH_MODE, _records("first", "second"));
    }

    function test_execute_refusesCallsOnTheExecutorItself() public {
        // the executor's own address runs nothing: only a delegated account, for itself
        vm.prank(_member);
        vm.expectRevert(abi.encodeWithSelector(Account.AccountUnauthorized.selector, _member));
        _executor.execute(BATCH_MODE, _records("first", "second"));
    }

    function test_execute_oneFailingCallRevertsTheBatchWithItsError() public {
        Execution[] memory calls = new Execution[](2);
        calls[0] = Execution(address(_target), 0, abi.encodeCall(SenderRecorder.record, ("first")));
        calls[1] = Execution(address(_target), 0, abi.encodeCall(SenderRecorder.refuse, (7)));
        vm.prank(_member);
        vm.expectRevert(abi.encodeWithSelector(SenderRecorder.SenderRecorderRefused.selector, _member, 7));
        BatchExecutor(payable(_member)).execute(BATCH_MODE, abi.encode(calls));
        assertEq(_target.senderOf("first"), address(0), "the first call was undone");
    }

    function test_execute_refusesAnUnsupportedMode() public {
        bytes32 singleCall = bytes32(0);
        bytes32 batchTry = bytes32(uint256(0x0101) << 240);
        assertFalse(_executor.supportsExecutionMode(singleCall), "single call mode");
        assertFalse(_executor.supportsExecutionMode(batchTry), "try mode");
        assertTrue(_executor.supportsExecutionMode(BATCH_MODE), "batch mode");
        vm.prank(_member);
        vm.expectRevert(ERC7821.UnsupportedExecutionMode.selector);
        BatchExecutor(payable(_member)).execute(batchTry, _records("first", "second"));
    }

    function test_receive_aDelegatedAccountTakesPlainTransfers() public {
        address payer = account("payer");
        vm.deal(payer, 1 ether);
        vm.prank(payer);
        (bool ok, ) = _member.call{value: 1 ether}("");
        assertTrue(ok, "transfer accepted");
        assertEq(_member.balance, 1 ether, "balance");
    }

    function test_version() public view {
        assertEq(keccak256(bytes(_executor.version())), keccak256("1.0.0"), "version");
    }
}
