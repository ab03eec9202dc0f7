import { describe, expect, it } from "vitest";
import { csvCell, fileStem, toCsv } from "./exporting";

describe("CSV export", () => {
  it("quotes separators, quotes and newlines; spells non-finite numbers", () => {
    expect(csvCell('a,"b"')).toBe('"a,""b"""');
    expect(csvCell("line\nbreak")).toBe('"line\nbreak"');
    expect(csvCell(NaN)).toBe("NaN");
    expect(csvCell(-Infinity)).toBe("-Infinity");
    expect(csvCell(null)).toBe("");
    expect(csvCell(0.25)).toBe("0.25");
  });
  it("defuses spreadsheet formulas", () => {
    expect(csvCell("=HYPERLINK(1)")).toBe("'=HYPERLINK(1)");
    expect(csvCell("-x,y")).toBe(`"'-x,y"`);
  });
  it("builds rows with CRLF", () => {
    expect(toCsv(["run", "step", "loss"], [["r1", 0, 1.5]])).toBe("run,step,loss\r\nr1,0,1.5\r\n");
  });
  it("makes safe file names", () => {
    expect(fileStem("train/loss (ema)")).toBe("train_loss_ema");
    expect(fileStem("///")).toBe("chart");
  });
});
