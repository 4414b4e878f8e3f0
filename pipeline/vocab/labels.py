"""Labels every output shares: the unknown township, the monitoring figures' Chinese
headers, a case's lifecycle statuses and the replies a township may give."""

# A case's severity, most severe first, and its Chinese name in reports.
SEVERITIES = ("error", "warning", "info")
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
SEVERITY_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}

UNKNOWN_TOWNSHIP = "（未知乡镇）"
UNKNOWN_COUNTY = "（未知县）"
# The Chinese headers reports give the figures.
MONITORING_LABELS = {
    "registered_households": "建档立卡户数",
    "borrowed_households": "获贷户数",
    "issuance_rate": "发放率",
    "outstanding_households": "有余额户数",
    "outstanding_loans": "未结清笔数",
    "balance": "贷款余额(元)",
    "overdue_loans": "逾期笔数",
    "overdue_balance": "逾期金额(元)",
    "overdue_rate": "逾期率",
    "overdue_buckets": "逾期账龄",
    "alert": "逾期率预警",
}

# A case's status against the previous run (SPEC's monthly tracking).
STATUSES = ("new", "open", "reopened", "resolved")
STATUS_LABELS = {"new": "新增", "open": "未整改", "reopened": "反弹", "resolved": "已销号"}
FIX_STATUSES = ("已整改", "整改中", "无法整改")
