// The consortium's members as the console names them: each by its legal name in the page's
// language, from the governed member directory the node serves (GET /v1/members), with its unified
// social credit code where a member is shown in detail. A member the directory does not list (or a
// node with no governed directory) is named by its number, as the chain knows it.
import { useEffect, useState } from "react";
import { api, savedSession } from "./api.ts";
import { useT } from "./i18n.ts";

export type MemberIdentity = { memberId: number; nameZh: string; nameEn: string; uscc: string };

/** The directory as the signed-in session read it: asked once a session, shared by every screen. */
let cached: { token: string; members: Promise<readonly MemberIdentity[]> } | undefined;
function directory(): Promise<readonly MemberIdentity[]> {
  const token = savedSession()?.token ?? "";
  if (cached?.token !== token)
    cached = {
      token,
      members: api<{ members: MemberIdentity[] }>("GET", "/v1/members")
        .then((answer) => answer.members)
        // no directory to read (none governed, an older node): members go by number
        .catch(() => []),
    };
  return cached.members;
}

export type Members = ReturnType<typeof useMembers>;

export function useMembers() {
  const { lang, t } = useT();
  const [members, setMembers] = useState<readonly MemberIdentity[]>([]);
  useEffect(() => {
    let live = true;
    void directory().then((m) => live && setMembers(m));
    return () => {
      live = false;
    };
  }, []);
  const identity = (id: number) => members.find((m) => m.memberId === id);
  // member ids start at 1: 0 is "none" (an assisted loan's platform)
  const unlisted = (id: number) => (id === 0 ? t("noMember") : `${t("member")} #${id}`);
  return {
    identity,
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
