package campaign

import (
	"fmt"
	"testing"
)

// FuzzSheetLineID checks that whatever an organizer types as sheet and line
// gives either problems or the ID of a line 1 to SheetLines of a sheet 1 to
// MaxSheetNumber, one that list positions (cursorID) accept.
func FuzzSheetLineID(f *testing.F) {
	for _, s := range [][2]string{{"3", "7"}, {"3", "47"}, {"1", "20"}, {"", "5"}, {"2", "41"}, {"2", "61"}, {"9999", "199980"}, {"-1", "0"}, {" 3 ", "+7"}} {
		f.Add(s[0], s[1])
	}
	const campaignID = "65f0c0ffee0123456789abcd"
	f.Fuzz(func(t *testing.T, sheet, line string) {
		id, problems := sheetLineID(campaignID, sheet, line)
		if len(problems) > 0 {
			if id != "" {
				t.Fatalf("(%q, %q): ID %q with problems %v", sheet, line, id, problems)
			}
			return
		}
		if id == "" {
			return // neither sheet nor line
		}
		var k, n int
		if _, err := fmt.Sscanf(id, "p-"+campaignID+"-s%d-l%d", &k, &n); err != nil || k < 1 || k > MaxSheetNumber || n < 1 || n > SheetLines {
			t.Fatalf("(%q, %q): ID %q is no line of a sheet", sheet, line, id)
		}
		if id != fmt.Sprintf("p-%s-s%d-l%d", campaignID, k, n) || !cursorID.MatchString(id) {
			t.Fatalf("(%q, %q): ID %q is not in the form lists accept", sheet, line, id)
		}
	})
}
