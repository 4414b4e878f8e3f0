"""The Chinese reports of one audit: `reports.render.write_reports(result, out)`.

render     report.html and the township checklists, written atomically
model      the audit result shaped for the templates (polars), masking applied; 整改要求
           is the first paragraph of each rule's `## How to fix`
checklist  the 整改清单 workbook (xlsxwriter) and its fixed columns
charts     bar geometry for the inline SVG charts
privacy    ID masking and safe file names
templates  report.html, checklist.html, base.css, filter.js, _charts.html
"""
