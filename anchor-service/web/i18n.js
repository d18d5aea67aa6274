// Every label of the verification page in Chinese and English. Keys are the same in both (the
// browser test asserts it through missingKeys, and that no {placeholder} is left on the page).
// {name} is replaced by the value given to t().

export const LANGS = ["zh", "en"];

const en = {
  pageTitle: "Electronic evidence verification",
  consortium: "JointLedger evidence consortium",
  testEnvNotice:
    "TEST ENVIRONMENT — development chain (id {chainId}): results here are for tests only and have no legal effect",
  intro:
    "Check that a document is the one anchored on the consortium chain, and since when. Choose or drop the document; the evidence bundle is optional. The document is hashed on this computer and is never uploaded.",
  documentLabel: "Document",
  documentHint:
    "Drop the file here or choose it. It stays on this computer: only its SHA-256 digest is used.",
  bundleLabel: "Evidence bundle (optional)",
  bundleHint:
    "The .evidence.json file delivered with the document. Without it, this page looks the document up in the log.",
  choose: "Choose file",
  noFile: "No file chosen",
  fileWithSize: "{name} ({size})",
  verify: "Verify",
  printCertificate: "Print certificate / save as PDF",
  signedCertificate: "Certificate signed by this node (PDF)",
  signedPending: "This node is verifying the evidence itself and signing its certificate…",
  signedReady: "Report {id}:",
  signedPdf: "signed certificate (PDF)",
  signedJson: "report (JSON)",
  signedFailed: "This node could not sign a certificate: {message}",
  newVerification: "Verify another document",
  languageGroup: "Language",
  leafNotice:
    "Opened from a verification link for evidence {leaf}. Choose the document to compare it with this evidence.",

  hashing: "Computing the document's SHA-256 digest on this computer…",
  hashingPortable:
    "Computing the document's SHA-256 digest on this computer (built-in implementation: this page is not served over HTTPS)…",
  lookingUp: "Looking up the document's digest in the evidence log…",
  fetchingBundle: "Fetching the evidence bundle…",
  checking: "Checking the evidence against the consortium chain…",
  done: "Verification finished.",

  errNoInput: "Choose a document first (or open a verification link).",
  errNeedBundle:
    "This page is served by a node that keeps no evidence log: add the evidence bundle (.evidence.json) delivered with the document.",
  errUnknownDigest:
    "No evidence record for this document was found in this log. A document changed by even one byte has a different digest. If you have its evidence bundle, add it and verify again.",
  errPending: "This document was received but is not anchored on the chain yet. Try again in a minute.",
  errBundleJson: "The evidence bundle is not a valid JSON file: {message}",
  errBundleInvalid: "The evidence bundle is not valid: {message}",
  errVerifierMissing:
    "The page's verification module could not be loaded (verifier.js was not generated: run npm ci).",
  errUnknownLeaf: "This service has no evidence with the leaf hash {leaf}.",
  errBadLeaf: "The link does not contain a valid leaf hash (0x followed by 64 hex digits).",
  errService: "The verification service could not be reached or answered with an error: {message}",

  verdictPass: "Verified",
  verdictPassText: "This document existed, unchanged byte for byte, no later than {time} (Beijing time).",
  verdictFail: "Not verified",
  verdictFailText: 'At least one check failed. See the rows marked "Fail" below.',
  verdictFailDigestText:
    "The document you provided is not the one the evidence was made for, or it was changed after anchoring.",
  verdictFailRevokedText: "The document is the anchored one, but the evidence was withdrawn. {status}.",
  verdictFailSupersededText:
    "The document is the anchored one, but the evidence was replaced by newer evidence. {status}.",
  verdictFailTimeText:
    "The anchoring time cannot be relied on: the consortium chain's time disagrees with the trusted timestamp (see the row “An independent time-stamping authority confirms the time”).",
  verdictIndeterminate: "Not fully verified",
  verdictIndeterminateText: 'Some checks could not be decided. See the rows marked "Undetermined" below.',
  verdictNoDocument: "Evidence record found — document not compared",
  verdictNoDocumentText:
    "The evidence record is anchored on the chain at {time} (Beijing time). Choose the document itself to check that it is this one.",

  factsHeading: "Summary",
  factDocument: "Document",
  factDigest: "SHA-256 digest",
  factRecordedDigest: "Digest in the evidence record",
  factAnchored: "Anchoring time",
  factAnchoredBlock: "Block time (the consortium chain's clock)",
  factTrustedTime: "Evidence time (trusted timestamp)",
  factCheckedBy: "Chain checks run by",
  checkedByBrowser: "this browser, asking {endpoints} itself",
  checkedByService:
    "the anchor service that served this page (a convenience: for checks of the court's own, open the court node's /verify)",
  trustedTimeBy: "attested by {tsa}",
  beijing: "Beijing time (UTC+8)",
  utc: "UTC",
  factSubmitter: "Submitting institution",
  memberNumber: "member no. {id}",
  memberLabel: "{name} (registry name, not the directory's legal name; {kind}, member no. {id})",
  memberLabelLegal: "{nameEn} (unified social credit code {uscc}; {kind}, member no. {id})",
  digestDiffers: "differs from the digest in the evidence record",
  factKind: "Kind of evidence",
  factStatus: "Status",
  factLegalHold: "Legal hold",
  factEndorsements: "Endorsements",
  factLeaf: "Evidence leaf hash",
  factTrustAnchor: "Trust anchor",
  trustAnchorValue: "{name}, chain {chain}",
  trustAnchorFingerprint: "fingerprint {fingerprint}",
  trustAnchorRegistry: "consortium registry",
  trustAnchorCompare:
    "Every chain check was bound to this trust anchor: compare its fingerprint with the one the consortium publishes.",
  factReport: "Report number",
  factVerifiedAt: "Verified at",
  none: "None",
  yes: "Yes",
  no: "No",
  unknownMember: "member no. {id} (name not available)",

  kind1: "Loan contract",
  kind2: "Borrower consent",
  kind3: "Credit query log",
  kind4: "Fund-flow voucher",
  kind5: "Court ruling",
  kind6: "Lifecycle notice",
  kind7: "Other document",

  memberKind_union: "provincial union",
  memberKind_branch: "member bank",
  memberKind_platform: "lending platform",
  memberKind_court: "court",

  stateUnknown: "Anchored; not registered in the lifecycle registry (no revocation recorded)",
  stateActive: "Active: not revoked or superseded",
  stateRevoked: "Revoked",
  stateSuperseded: "Superseded",
  revokedBy: "Revoked on {time} (Beijing time) by {who}",
  supersededBy: "Superseded on {time} (Beijing time) by {who}; replaced by evidence {leaf}",
  holdPlaced: "Under legal hold since {time} (Beijing time), placed by {who}",
  otherLog:
    "This bundle belongs to another evidence log than this service's; lifecycle details and names are not shown.",
  statusInChecks:
    "See the check \"The evidence has not been withdrawn\" (this page asks the court's chain endpoint; no anchor service gives the lifecycle's details here).",

  checksHeading: "Checks",
  colCheck: "Check",
  colResult: "Result",
  colExplanation: "Explanation",
  technical: "Technical detail",
  outcome_pass: "Pass",
  outcome_fail: "Fail",
  outcome_indeterminate: "Undetermined",

  check_digest: "The document is unchanged",
  check_digest_pass: "The document you provided is, byte for byte, the one the evidence was made for.",
  check_digest_fail:
    "The document you provided differs from the one the evidence was made for: it is another file, or it was changed.",
  check_digest_indeterminate: "No document was provided, so it was not compared.",
  check_leafEncoding: "The evidence record is intact",
  check_leafEncoding_pass: "The evidence record is exactly what was entered into the log.",
  check_leafEncoding_fail: "The evidence record in the bundle was altered.",
  check_merklePath: "The record is in the evidence log",
  check_merklePath_pass: "A cryptographic proof places the record in the log's committed state (tree head).",
  check_merklePath_fail: "The proof does not lead to the log's tree head: the bundle was altered.",
  check_headOnChain: "The log's state is recorded on the consortium chain",
  check_headOnChain_pass: "The consortium chain holds this tree head, as committed by the log's operator.",
  check_headOnChain_fail:
    "The consortium's official evidence log, named by the trust anchor, does not hold this tree head: never committed, lost, anchored in a look-alike contract outside the consortium, or a forged bundle.",
  check_blockAndTime: "The anchoring time is the chain's own",
  check_blockAndTime_pass: "The chain recorded the tree head in the stated block, at the stated time.",
  check_blockAndTime_fail: "The bundle states another block or time than the chain recorded.",
  check_blockAndTime_fail_sm2NotGoverned:
    "The intake receipt is SM2-signed under a key the consortium's governed member directory does not name for the log's operator: the receipt does not vouch for the anchoring time.",
  check_finality: "The block meets the finality rule",
  check_finality_pass:
    "The block holding the evidence has the blocks on top that the verifier's finality rule requires (rule in the technical line).",
  check_finality_indeterminate: "The block is too recent to count as final yet.",
  check_submitterMembership: "The submitter was a member in good standing",
  check_submitterMembership_pass:
    "The submitting institution was an active consortium member when the evidence was anchored.",
  check_submitterMembership_fail:
    "The submitting institution was suspended, or not a member, when the evidence was anchored.",
  check_lifecycle: "The evidence has not been withdrawn",
  check_lifecycle_pass: "Nobody has revoked or superseded this evidence.",
  check_lifecycle_fail_revoked: "The evidence was revoked by its submitter or by a court.",
  check_lifecycle_fail_superseded: "The evidence was superseded by newer evidence.",
  check_lifecycle_fail: "The evidence was revoked or superseded.",
  check_trustedTime: "An independent time-stamping authority confirms the time",
  check_trustedTime_pass:
    "A trusted time-stamping authority (RFC 3161) signed that the log's state existed then; intake, chain and authority times agree.",
  check_trustedTime_fail:
    "The times disagree (for example the chain's clock was ahead of the time-stamping authority's) or a timestamp token is not genuine: the stated anchoring time cannot be relied on.",
  check_trustedTime_indeterminate:
    "No timestamp from a time-stamping authority this service trusts: the time rests on the consortium chain's clock alone.",
  check_indeterminate: "This could not be decided; see the technical detail.",
  check_fail: "This check failed; see the technical detail.",

  othersHeading: "Other evidence records of this document",
  othersText: "This document was registered {count} times. Shown: {shown}. You may verify another record:",
  verifyThis: "Verify this record",
  receivedAt: "received {time} (Beijing time)",
  pending: "not yet anchored",

  merkleHeading: "Merkle path (for experts)",
  merkleIntro:
    "The evidence leaf is number {index} (counting from 0) of a log of {size} leaves. Your browser recomputed the root hash from the leaf hash and the {count} hashes of the audit path (RFC 9162):",
  merkleStep: "Step",
  merkleSibling: "Sibling hash",
  merkleSide: "Side",
  merkleResult: "Result",
  sideLeft: "left",
  sideRight: "right",
  merkleLeaf: "Leaf hash",
  merkleRoot: "Root in the bundle",
  merkleMatch: "Recomputed in this browser: the root matches.",
  merkleMismatch: "Recomputed in this browser: the root does NOT match.",
  merkleChain: "Chain {chain}, EvidenceLog {log}, block {block}, transaction {tx}",
  merkleLogId: "Log id",

  certTitle: "Electronic Evidence Verification Certificate",
  certSubtitle: "Issued by the verification page of the JointLedger evidence consortium",
  certResult: "Result",
  certProvesHeading: "What this verification proves",
  certProves:
    "The document with the SHA-256 digest above existed, unchanged byte for byte, no later than the anchoring time stated above, when the submitting institution registered its digest on the consortium chain; and the evidence has not been withdrawn since.",
  certProvesNoDocument:
    "A file with the digest in the evidence record existed, unchanged byte for byte, no later than the anchoring time stated above, and the evidence has not been withdrawn since. No file was compared in this verification: choose the document to check that it is this file.",
  certProvesFail:
    "Nothing about the document: at least one check failed (see the checks). This report must not be relied on as proof that the document existed unchanged.",
  certProvesIndeterminate:
    "Not yet anything about the document: some checks could not be decided (see the checks). Verify again when the service and the chain can answer.",
  certNotHeading: "What it does not prove",
  certNot:
    "It does not prove that the content of the document is true, that its signatures are valid, or that the people named in it agreed to it. It does not show that the document did not exist earlier, nor who wrote it: the submitter is the institution that registered its digest.",
  certQr: "Scan to open this verification again:",
  certFooter:
    "This certificate was produced by software; its authority is the consortium chain it names, which anyone can check again.",
};

const zh = {
  testEnvNotice: "测试环境 — 开发链（链 ID {chainId}）：此处核验结果仅供测试，不具法律效力",
  pageTitle: "电子证据核验",
  consortium: "JointLedger 证据联盟链",
  intro:
    "核验一份文件是否与联盟链上存证的文件一致，以及最迟于何时存在。请选择或拖入文件；证据包可选。文件只在本机计算摘要，不会上传。",
  documentLabel: "待核验文件",
  documentHint: "将文件拖到此处或点击选择。文件不离开本机，仅使用其 SHA-256 摘要。",
  bundleLabel: "证据包（可选）",
  bundleHint: "随文件提供的 .evidence.json 文件。没有证据包时，本页将在存证日志中查找该文件。",
  choose: "选择文件",
  noFile: "未选择文件",
  fileWithSize: "{name}（{size}）",
  verify: "开始核验",
  printCertificate: "打印核验证明 / 另存为 PDF",
  signedCertificate: "由本节点签章的核验证明（PDF）",
  signedPending: "本节点正在自行核验并签署核验证明……",
  signedReady: "报告 {id}：",
  signedPdf: "已签章的核验证明（PDF）",
  signedJson: "核验报告（JSON）",
  signedFailed: "本节点无法签署核验证明：{message}",
  newVerification: "核验其他文件",
  languageGroup: "语言",
  leafNotice: "已通过核验链接打开证据 {leaf}。请选择文件，与该证据比对。",

  hashing: "正在本机计算文件的 SHA-256 摘要……",
  hashingPortable: "正在本机计算文件的 SHA-256 摘要（内置实现：本页未通过 HTTPS 提供）……",
  lookingUp: "正在存证日志中查找该文件的摘要……",
  fetchingBundle: "正在获取证据包……",
  checking: "正在对照联盟链核验证据……",
  done: "核验完成。",

  errNoInput: "请先选择文件（或打开核验链接）。",
  errNeedBundle: "本页由不保存存证日志的节点提供：请同时选择随文件交付的证据包（.evidence.json）。",
  errUnknownDigest:
    "在本存证日志中未找到该文件的存证记录。文件即使只改动一个字节，摘要也会不同。如有证据包，请一并提供后重新核验。",
  errPending: "该文件已被接收，但尚未锚定到链上。请一分钟后重试。",
  errBundleJson: "证据包不是有效的 JSON 文件：{message}",
  errBundleInvalid: "证据包格式无效：{message}",
  errVerifierMissing: "本页无法加载核验模块（verifier.js 未生成：运行 npm ci）。",
  errUnknownLeaf: "本服务没有叶哈希为 {leaf} 的证据。",
  errBadLeaf: "链接中的叶哈希无效（应为 0x 加 64 位十六进制数字）。",
  errService: "无法连接核验服务，或服务返回错误：{message}",

  verdictPass: "核验通过",
  verdictPassText: "该文件最迟于 {time}（北京时间）已存在，且此后未被改动（逐字节一致）。",
  verdictFail: "核验未通过",
  verdictFailText: "至少一项检查未通过，请查看下方标为“不通过”的项目。",
  verdictFailDigestText: "您提供的文件不是该证据所对应的文件，或在存证后被修改过。",
  verdictFailRevokedText: "文件与存证一致，但该证据已被撤回。{status}。",
  verdictFailSupersededText: "文件与存证一致，但该证据已被新的证据替代。{status}。",
  verdictFailTimeText:
    "存证时间不可采信：联盟链的时间与可信时间戳不一致（见“独立的时间戳服务机构确认了时间”一项）。",
  verdictIndeterminate: "未能完全核验",
  verdictIndeterminateText: "部分检查无法判定，请查看下方标为“无法判定”的项目。",
  verdictNoDocument: "已找到存证记录——未比对文件",
  verdictNoDocumentText: "该存证记录已于 {time}（北京时间）锚定在链上。请选择文件本身，以核验是否为该文件。",

  factsHeading: "概要",
  factDocument: "文件",
  factDigest: "SHA-256 摘要",
  factRecordedDigest: "存证记录中的摘要",
  factAnchored: "存证时间",
  factAnchoredBlock: "区块时间（联盟链时钟）",
  factTrustedTime: "存证时间（可信时间戳）",
  factCheckedBy: "链上核验执行方",
  checkedByBrowser: "本浏览器，直接向 {endpoints} 查询",
  checkedByService: "提供本页的存证服务（仅为便利：如需由法院自行核验，请打开法院节点的 /verify）",
  trustedTimeBy: "由 {tsa} 签发",
  beijing: "北京时间（UTC+8）",
  utc: "协调世界时（UTC）",
  factSubmitter: "提交机构",
  memberNumber: "成员编号 {id}",
  memberLabel: "{name}（登记名，非名录；{kind}，成员编号 {id}）",
  memberLabelLegal: "{nameZh}（统一社会信用代码 {uscc}；{kind}，成员编号 {id}）",
  digestDiffers: "与存证记录中的摘要不同",
  factKind: "证据类型",
  factStatus: "状态",
  factLegalHold: "司法冻结",
  factEndorsements: "背书机构",
  factLeaf: "证据叶哈希",
  factTrustAnchor: "信任锚",
  trustAnchorValue: "{name}，链 {chain}",
  trustAnchorFingerprint: "指纹 {fingerprint}",
  trustAnchorRegistry: "联盟注册合约",
  trustAnchorCompare: "所有链上检查均以此信任锚为准：请将其指纹与联盟公布的指纹核对。",
  factReport: "报告编号",
  factVerifiedAt: "核验时间",
  none: "无",
  yes: "是",
  no: "否",
  unknownMember: "成员编号 {id}（名称不可用）",

  kind1: "借款合同",
  kind2: "借款人授权",
  kind3: "征信查询记录",
  kind4: "资金流水凭证",
  kind5: "裁判文书",
  kind6: "生命周期通知",
  kind7: "其他文件",

  memberKind_union: "省联社",
  memberKind_branch: "成员银行",
  memberKind_platform: "助贷平台",
  memberKind_court: "法院",

  stateUnknown: "已锚定；未在生命周期登记簿中登记（无撤销记录）",
  stateActive: "有效：未被撤销或替代",
  stateRevoked: "已撤销",
  stateSuperseded: "已被替代",
  revokedBy: "已于 {time}（北京时间）由 {who} 撤销",
  supersededBy: "已于 {time}（北京时间）由 {who} 替代；替代证据为 {leaf}",
  holdPlaced: "自 {time}（北京时间）起处于司法冻结，由 {who} 设置",
  otherLog: "该证据包属于另一个存证日志，不显示生命周期详情和机构名称。",
  statusInChecks: "见检查项“证据未被撤回”（本页向法院选定的链节点查询，无存证服务提供的生命周期详情）。",

  checksHeading: "检查项目",
  colCheck: "检查项",
  colResult: "结果",
  colExplanation: "说明",
  technical: "技术细节",
  outcome_pass: "通过",
  outcome_fail: "不通过",
  outcome_indeterminate: "无法判定",

  check_digest: "文件未被改动",
  check_digest_pass: "您提供的文件与存证时的文件逐字节一致。",
  check_digest_fail: "您提供的文件与存证文件不一致：这是另一份文件，或已被修改。",
  check_digest_indeterminate: "未提供文件，因此未作比对。",
  check_leafEncoding: "存证记录完整",
  check_leafEncoding_pass: "存证记录与写入日志时完全一致。",
  check_leafEncoding_fail: "证据包中的存证记录被篡改。",
  check_merklePath: "记录在存证日志中",
  check_merklePath_pass: "密码学证明表明该记录包含在日志已提交的状态（树头）中。",
  check_merklePath_fail: "证明无法推导出日志的树头：证据包被篡改。",
  check_headOnChain: "日志状态已记录在联盟链上",
  check_headOnChain_pass: "联盟链上存有日志运营方提交的该树头。",
  check_headOnChain_fail:
    "信任锚所指定的联盟官方存证日志中没有该树头：未曾提交、已丢失、存证于联盟之外的仿冒合约，或证据包系伪造。",
  check_blockAndTime: "存证时间由链本身记录",
  check_blockAndTime_pass: "链在所述区块、所述时间记录了该树头。",
  check_blockAndTime_fail: "证据包所述区块或时间与链上记录不符。",
  check_blockAndTime_fail_sm2NotGoverned:
    "接收回执的 SM2 签名密钥不是联盟受治理的成员名录为日志运营方登记的密钥：该回执不能为存证时间作证。",
  check_finality: "区块满足最终性规则",
  check_finality_pass: "包含该证据的区块之上已有验证方最终性规则要求的区块数（规则见技术说明）。",
  check_finality_indeterminate: "区块过新，尚不能视为最终确认。",
  check_submitterMembership: "提交机构当时为正常成员",
  check_submitterMembership_pass: "存证时，提交机构是联盟的正常（未暂停）成员。",
  check_submitterMembership_fail: "存证时，提交机构已被暂停或不是联盟成员。",
  check_lifecycle: "证据未被撤回",
  check_lifecycle_pass: "该证据未被撤销或替代。",
  check_lifecycle_fail_revoked: "该证据已被提交机构或法院撤销。",
  check_lifecycle_fail_superseded: "该证据已被新的证据替代。",
  check_lifecycle_fail: "该证据已被撤销或替代。",
  check_trustedTime: "独立的时间戳服务机构确认了时间",
  check_trustedTime_pass: "可信时间戳（RFC 3161）证明日志状态当时已存在；受理、链上、时间戳三方时间一致。",
  check_trustedTime_fail:
    "各方时间不一致（例如链的时钟快于时间戳服务机构的时间），或时间戳令牌不真实：所述存证时间不可采信。",
  check_trustedTime_indeterminate:
    "没有本服务信任的时间戳服务机构出具的时间戳：该时间仅依据联盟链自身的时钟。",
  check_indeterminate: "无法判定，请查看技术细节。",
  check_fail: "该项检查未通过，请查看技术细节。",

  othersHeading: "该文件的其他存证记录",
  othersText: "该文件共登记 {count} 次。当前显示：{shown}。可核验其他记录：",
  verifyThis: "核验此记录",
  receivedAt: "接收于 {time}（北京时间）",
  pending: "尚未锚定",

  merkleHeading: "默克尔路径（供专家查阅）",
  merkleIntro:
    "该证据叶是日志（共 {size} 个叶）中的第 {index} 个（从 0 开始计数）。本浏览器已根据叶哈希和审计路径中的 {count} 个哈希重新计算根哈希（RFC 9162）：",
  merkleStep: "步骤",
  merkleSibling: "兄弟节点哈希",
  merkleSide: "位置",
  merkleResult: "结果",
  sideLeft: "左",
  sideRight: "右",
  merkleLeaf: "叶哈希",
  merkleRoot: "证据包中的根哈希",
  merkleMatch: "本浏览器重新计算：根哈希一致。",
  merkleMismatch: "本浏览器重新计算：根哈希不一致。",
  merkleChain: "链 {chain}，EvidenceLog {log}，区块 {block}，交易 {tx}",
  merkleLogId: "日志编号",

  certTitle: "电子证据核验证明",
  certSubtitle: "由 JointLedger 证据联盟链核验页面出具",
  certResult: "核验结果",
  certProvesHeading: "本核验证明的内容",
  certProves:
    "具有上述 SHA-256 摘要的文件，最迟于上述存证时间已存在且此后逐字节未被改动；提交机构于该时间在联盟链上登记了其摘要；且该证据此后未被撤回。",
  certProvesNoDocument:
    "具有存证记录中摘要的文件，最迟于上述存证时间已存在且此后逐字节未被改动，且该证据此后未被撤回。本次核验未比对文件：请选择文件本身，以核验是否为该文件。",
  certProvesFail:
    "不能证明任何关于该文件的内容：至少一项检查未通过（见检查项目）。不得以本报告证明该文件存在且未被改动。",
  certProvesIndeterminate:
    "暂不能证明关于该文件的内容：部分检查无法判定（见检查项目）。请在服务和联盟链可以应答时重新核验。",
  certNotHeading: "本核验不能证明的内容",
  certNot:
    "本核验不证明文件内容真实，不证明其中签名有效，也不证明文件所涉各方同意其内容；不证明该文件在更早之前不存在，也不证明文件作者身份：提交机构仅是登记其摘要的机构。",
  certQr: "扫码可再次打开本核验：",
  certFooter: "本证明由软件生成；其依据为上述联盟链，任何人均可再次核验。",
};

const STRINGS = { en, zh };

/** The browser's preferred language among ours: Chinese for any zh-*, otherwise English. */
export function defaultLang(languages) {
  for (const l of languages ?? []) {
    const base = String(l).toLowerCase().split("-")[0];
    if (base === "zh") return "zh";
    if (base === "en") return "en";
  }
  return "en";
}

export function translator(lang) {
  const table = STRINGS[lang] ?? en;
  return (key, vars = {}) => {
    const text = table[key] ?? en[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
  };
}

/**
 * The plain-language sentence for a check's result in the page's language (`t`), from its id and
 * outcome; the technical reason stays English beside it. The document page and the case archive
 * both name a result by it, so a reason reads the same on either screen. `lifecycleState` (the
 * registry's state, where known) picks revoked or superseded.
 */
export function checkExplanation(t, check, lifecycleState) {
  if (check.id === "lifecycle" && check.outcome === "fail") {
    if (lifecycleState === "Revoked") return t("check_lifecycle_fail_revoked");
    if (lifecycleState === "Superseded") return t("check_lifecycle_fail_superseded");
    return t("check_lifecycle_fail");
  }
  // 国密: the receipt's SM2 key is not the one the governed member directory names (governed-receipt.ts)
  if (check.id === "blockAndTime" && check.reason.includes("RECEIPT_SM2_KEY_NOT_GOVERNED"))
    return t("check_blockAndTime_fail_sm2NotGoverned");
  const key = `check_${check.id}_${check.outcome}`;
  if (hasKey(key)) return t(key);
  return t(
    check.outcome === "fail" ? "check_fail" : check.outcome === "indeterminate" ? "check_indeterminate" : key,
  );
}

/** Keys present in one language but not the other ("en:key" / "zh:key"). */
export function missingKeys() {
  return [
    ...Object.keys(en)
      .filter((k) => !(k in zh))
      .map((k) => `zh:${k}`),
    ...Object.keys(zh)
      .filter((k) => !(k in en))
      .map((k) => `en:${k}`),
  ];
}

/** Whether a key exists in both languages (the page test checks every key it renders). */
export function hasKey(key) {
  return key in en && key in zh;
}
