// Working days for case deadlines from the State Council's 2026 notice and 2027's provisional file
// (the statutory holidays only): holidays are not working days, the declared weekend working days
// are, and seven working days run across them.
import { expect } from "chai";
import { caseDeadlines } from "../../../nodes/src/cases.ts";
import { shanghaiTime } from "./clock.ts";
import { dateToDay } from "../../../common/lending/dates.ts";
import {
  addWorkingDays,
  calendarSource,
  isWorkingDay,
} from "../../../nodes/src/court-package/working-days.ts";

describe("working-day calendar (工作日) for case deadlines", function () {
  it("2026: the Spring Festival and National Day are off, their declared weekend days are working days", function () {
    expect(isWorkingDay("2026-02-16")).to.equal(false); // Monday in the Spring Festival
    expect(isWorkingDay("2026-02-14")).to.equal(true); // Saturday, declared a working day
    expect(isWorkingDay("2026-02-28")).to.equal(true);
    expect(isWorkingDay("2026-10-05")).to.equal(false);
    expect(isWorkingDay("2026-10-10")).to.equal(true);
    expect(isWorkingDay("2026-03-07")).to.equal(false); // an ordinary Saturday
    expect(isWorkingDay("2026-03-09")).to.equal(true); // an ordinary Monday
    expect(calendarSource(2026).title).to.equal("国务院办公厅关于2026年部分节假日安排的通知");
  });

  it("seven working days from before the Spring Festival skip the holiday and count the declared Saturday", function () {
    // Thu 12 Feb: Fri 13, Sat 14 (working), the holiday to Mon 23, Tue 24 … Fri 27, Sat 28 (working)
    expect(addWorkingDays("2026-02-12", 7)).to.equal("2026-02-28");
    // Tue 29 Sep: Wed 30, the holiday to 7 Oct, Thu 8, Fri 9, Sat 10 (working), Mon 12, Tue 13, Wed 14
    expect(addWorkingDays("2026-09-29", 7)).to.equal("2026-10-14");
  });

  it("2027, provisional: the statutory holidays of the 2024 rules, no adjusted days until the notice", function () {
    const source = calendarSource(2027);
    expect(source.title).to.include("全国年节及纪念日放假办法");
    expect(source.provisional).to.include("2027");
    expect(calendarSource(2026)).to.not.have.property("provisional");
    // 除夕 Fri 5 Feb and 正月初一 to 初三 (6–8 Feb): four days, the Monday among them
    for (const date of ["2027-01-01", "2027-02-05", "2027-02-08", "2027-04-05", "2027-06-09", "2027-09-15"])
      expect(isWorkingDay(date), date).to.equal(false);
    expect(isWorkingDay("2027-10-01")).to.equal(false);
    expect(isWorkingDay("2027-05-03")).to.equal(true); // Monday after a weekend May Day: no substitute day yet
    expect(isWorkingDay("2027-02-04")).to.equal(true);
    expect(isWorkingDay("2027-02-09")).to.equal(true);
    // Thu 4 Feb: the holiday Fri 5 to Mon 8, then Tue 9 … Fri 12, Mon 15, Tue 16, Wed 17
    expect(addWorkingDays("2027-02-04", 7)).to.equal("2027-02-17");
    // across the year end: Tue 29 Dec 2026 → Wed 30, Thu 31, (Fri 1 Jan off) Mon 4 … Thu 7
    expect(addWorkingDays("2026-12-29", 6)).to.equal("2027-01-07");
  });

  it("a year without its file is refused, not guessed", function () {
    let code: string | undefined;
    try {
      isWorkingDay("2028-03-01");
    } catch (error) {
      code = (error as { code?: string }).code;
    }
    expect(code).to.equal("NODE_ERR_NOT_FOUND");
  });

  it("tracks a case's acceptance and ruling against 7 working days", function () {
    const at = (date: string) => shanghaiTime(dateToDay(date), 10);
    const d = caseDeadlines({ assignedAt: at("2026-09-29"), acceptedAt: at("2026-10-14"), ruledAt: null });
    expect(d.acceptance).to.deep.equal({ by: "2026-10-14", met: true });
    expect(d.ruling).to.deep.equal({ by: "2026-10-23", met: null });
    const late = caseDeadlines({ assignedAt: at("2026-02-12"), acceptedAt: at("2026-03-02"), ruledAt: null });
    expect(late.acceptance).to.deep.equal({ by: "2026-02-28", met: false });
    expect(caseDeadlines(undefined)).to.deep.equal({ acceptance: null, ruling: null });
    // a deadline running into 2027 counts on its provisional calendar
    expect(
      caseDeadlines({ assignedAt: at("2026-12-29"), acceptedAt: null, ruledAt: null }).acceptance,
    ).to.deep.equal({ by: "2027-01-08", met: null });
    expect(
      caseDeadlines({ assignedAt: at("2028-12-27"), acceptedAt: null, ruledAt: null }).acceptance,
    ).to.have.property("by", null);
  });
});
