Attribute VB_Name = "InsuranceXl"
' The buttons of workbook/insurance.xlsm. `make workbook` copies this module into the workbook's
' VBA project beside the xlwings module of the pinned release; this file is the reviewed source.
' Each button runs one line: RunPython into insurance_xl.excel.macros, which reads the open book
' (unsaved edits included), calls the core and writes the results back.
' Keep this file ASCII: the VBA project stores source in the Windows-1252 code page.
Option Explicit

Sub RefreshKpis()
    RunPython "import insurance_xl.excel.macros as m; m.refresh_kpis()"
End Sub

Sub ValidateRegisters()
    RunPython "import insurance_xl.excel.macros as m; m.validate()"
End Sub

Sub FlagOverdue()
    RunPython "import insurance_xl.excel.macros as m; m.flag_overdue()"
End Sub

Sub RenewalCalls()
    RunPython "import insurance_xl.excel.macros as m; m.renewal_calls()"
End Sub

Sub MonthEndReconcile()
    RunPython "import insurance_xl.excel.macros as m; m.reconcile()"
End Sub

Sub MonthlyReport()
    RunPython "import insurance_xl.excel.macros as m; m.monthly_report()"
End Sub

Sub CaseTracking()
    RunPython "import insurance_xl.excel.macros as m; m.case_tracking()"
End Sub

Sub CheckEnvironment()
    RunPython "import insurance_xl.excel.macros as m; m.check_environment()"
End Sub
