// The consortium's members as the console names them: each by its legal name in the page's
// language, from the governed member directory the node serves (GET /v1/members), with its unified
// social credit code where a member is shown in detail. A member the directory does not list (or a
// node with no governed directory) is named by its number, as the chain knows it. A directory of
// fictional members (a demo or test consortium: "testData") is marked beside every name it gives.
import { Tag } from "antd";
import { useEffect, useState, type ReactNode } from "react";
import { api, savedSession } from "./api.ts";
import { TEST_DATA_NOTICE, useT } from "./i18n.ts";

export type MemberIdentity = { memberId: number; nameZh: string; nameEn: string; uscc: string };
type Directory = { testData: boolean; members: readonly MemberIdentity[] };

const NO_DIRECTORY: Directory = { testData: false, members: [] };

/** The directory as the signed-in session read it: asked once a session, shared by every screen. */
let cached: { token: string; directory: Promise<Directory> } | undefined;
function directory(): Promise<Directory> {
  const token = savedSession()?.token ?? "";
  if (cached?.token !== token)
    cached = {
      token,
      directory: api<{ testData?: boolean; members: MemberIdentity[] }>("GET", "/v1/members")
        .then((answer) => ({ testData: answer.testData === true, members: answer.members }))
        // no directory to read (none governed, an older node): members go by number
        .catch(() => NO_DIRECTORY),
    };
  return cached.directory;
}

export type Members = ReturnType<typeof useMembers>;

export function useMembers() {
  const { lang, t } = useT();
  const [{ testData, members }, setDirectory] = useState<Directory>(NO_DIRECTORY);
  useEffect(() => {
    let live = true;
    void directory().then((d) => live && setDirectory(d));
    return () => {
      live = false;
    };
  }, []);
  const identity = (id: number) => members.find((m) => m.memberId === id);
  // member ids start at 1: 0 is "none" (an assisted loan's platform)
  const unlisted = (id: number) => (id === 0 ? t("noMember") : `${t("member")} #${id}`);
  return {
    identity,
    /** Beside member `id`'s name: the test-data mark when a test directory names it, else nothing. */
    mark(id: number): ReactNode {
      if (!testData || identity(id) === undefined) return null;
      return (
        <Tag color="orange" data-testid="member-test-data" style={{ marginInlineStart: 8 }}>
          {TEST_DATA_NOTICE}
        </Tag>
      );
    },
    /** The member's legal name in the page's language; "成员 #2" when the directory does not list it. */
    name(id: number): string {
      const m = identity(id);
      if (m === undefined) return unlisted(id);
      return lang === "zh" ? m.nameZh : m.nameEn;
    },
    /** The name with its unified social credit code, where a member is shown in detail. */
    detailed(id: number): string {
      const m = identity(id);
      if (m === undefined) return unlisted(id);
      return lang === "zh" ? `${m.nameZh}（${t("uscc")} ${m.uscc}）` : `${m.nameEn} (${t("uscc")} ${m.uscc})`;
    },
  };
}
