"""shift.RowShift: references in formulas and ranges follow rows moved down (Insert Rows above 合计)."""
from insurance_xl.xlsx.shift import RowShift, ask_full_recalculation, shift_sheet

# rows 121 and below move down 2; the register ran to 120 and now to 122; its header is row 2
MOVE = RowShift(at=121, by=2, top=3, old_last=120, new_last=122)


def test_formulas_follow_the_moved_rows_and_totals_grow_over_the_new_ones():
    f = MOVE.formula
    assert f("SUM(F3:F120)", "台账", True, True) == "SUM(F3:F122)"
    assert f("SUM($F$3:$F$120)+F121*2", "台账", True, True) == "SUM($F$3:$F$122)+F123*2"
    assert f("SUM($F$3:F120)", "台账", True, False) == "SUM($F$3:F120)"  # a running balance stays
    assert f('IF(A121="F121",LOG10(F130),"")', "台账", True, True) == 'IF(A123="F121",LOG10(F132),"")'
    assert f("台账!C121+'其他 表'!C121+'台账'!$C$125", "台账", False, True) == "台账!C123+'其他 表'!C121+'台账'!$C$127"
    assert f("C121+[1]台账!C121", "台账", False, True) == "C121+[1]台账!C121"  # another sheet's, another file's
    assert f("台账!$2:$2,台账!$121:$125", "台账", False, True) == "台账!$2:$2,台账!$123:$127"
    assert MOVE.refs("A3:A120 C121 A2:F1000") == "A3:A122 C123 A2:F1002"


def test_moved_rows_renumber_their_cells_and_lose_stale_cached_totals():
    xml = ('<worksheet><dimension ref="A1:F121"/><sheetData><row r="120"><c r="F120"><v>5</v></c></row>'
           '<row r="121" spans="1:6"><c r="A121" t="s"><v>0</v></c><c r="F121"><f>SUM(F3:F120)</f><v>99</v></c>'
           '<c r="G121" s="1"/></row></sheetData><mergeCells count="1"><mergeCell ref="A121:B121"/></mergeCells>'
           '<hyperlinks><hyperlink ref="A121" location="x"/></hyperlinks><rowBreaks count="1" manualBreakCount="1">'
           '<brk id="120" max="16383" man="1"/></rowBreaks></worksheet>')
    out, changed = shift_sheet(xml, "", MOVE, "台账", header=2)
    assert changed
    assert '<row r="123" spans="1:6"><c r="A123" t="s"><v>0</v></c><c r="F123"><f>SUM(F3:F122)</f></c>' \
           '<c r="G123" s="1"/></row>' in out
    assert '<row r="120"><c r="F120"><v>5</v></c></row>' in out
    assert '<mergeCell ref="A123:B123"/>' in out and '<hyperlink ref="A123"' in out and '<brk id="122"' in out


def test_the_workbook_asks_for_a_full_recalculation():
    assert ask_full_recalculation('<workbook><calcPr calcId="191029"/></workbook>') == \
        '<workbook><calcPr fullCalcOnLoad="1" calcId="191029"/></workbook>'
    assert ask_full_recalculation('<x:workbook><x:sheets><x:sheet/></x:sheets></x:workbook>') == \
        '<x:workbook><x:sheets><x:sheet/></x:sheets><x:calcPr fullCalcOnLoad="1"/></x:workbook>'
