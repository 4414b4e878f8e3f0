"""整改要求: the short Chinese form of each rule's `## How to fix`, for the checklists.

The rule docstrings are the reference (English with the Chinese terms; the report's
规则说明 shows them in full). A township officer fills the checklist in Chinese, so the
checklist's 整改要求 column carries this short form, written from the docstring. A rule
without an entry here (a rule added later) falls back to the first sentence of its
docstring's `## How to fix`, so a new rule never breaks the reports.
"""

from __future__ import annotations

import re

from rules import DOC_SECTIONS, Rule

FIX_SHORT = {
    "overdue": "会同承贷银行入户了解未还原因，制定还款计划，符合政策的办理展期或续贷；确实无力偿还的启动风险补偿程序；已还款或已展期的由银行更正余额、结清日期或展期到期日。",
    "due_soon": "提示性问题：告知农户到期日，与承贷银行确认还款安排；确有困难的在到期前协助申请展期或续贷，并记录采取的措施。",
    "over_limit": "调取借款合同：金额录错的由银行更正；确属超额的由银行收回超出部分或移出贴息范围，县里停止对超出部分贴息；前笔未还又贷的同时按一户多贷处理。",
    "multiple_loans_per_household": "调取所列贷款合同：前笔已结清的由银行更正结清日期；户编号错的更正户编号；确属同时多笔的，银行与乡镇商定多出贷款的偿还或移出贴息范围；同一人重复出现的同时核查是否重复录入。",
    "non_poor_borrower": "会同村委会在全国扶贫开发信息系统核实借款人的身份、户状态和日期：录入错误的更正；放款时确不符合条件的报县扶贫办，停止贴息，按县里决定转为普通贷款或收回。",
    "non_productive_use": "会同村委会和承贷银行入户核实资金实际用途：用途仅为登记不规范（实际用于生产）的，凭证据由银行更正贷款用途；确用于非生产性支出的报县扶贫办，停止贴息，收回或转为普通贷款。",
    "enterprise_use": "向农户、企业（合作社）和承贷银行核实资金由谁持有和使用：企业使用的，签订书面协议，将资金收回农户自用或到期由企业归还，并报县扶贫办；集中放款的，核对合同和农户，确为各户自用的记录情况并更正批量填写的用途。",
    "term_over_limit": "与承贷银行核对借款合同和展期协议：日期录错的由银行更正到期日期或展期到期日；期限或展期确超规定的报县扶贫办决定贴息处理，超出部分按逾期处理。",
    "rate_above_base": "与承贷银行核对合同利率：录错的由银行更正年利率；确高于基准利率的由银行重新定价并退还多收利息，乡镇报县扶贫办。",
    "borrower_age": "核对借款人身份证和借款合同：身份证号录错的更正；确属年龄不符的报县扶贫办，由符合条件的家庭成员重新签订或按县里决定收回贷款。",
    "deceased_borrower": "会同村委会和派出所核实死亡记录：状态或日期录错的在扶贫信息系统更正；死亡后放款的查清由谁借款签字并报县扶贫办；贷款期间死亡的，银行、乡镇与家庭商定还款（继承人、保险）或启动风险补偿；日期不详的补填人员变动日期。",
    "invalid_id_number": "对照居民身份证或户口簿核对号码，在银行系统或扶贫信息系统中更正；Excel 损坏的号码从源系统按文本重新导出，不得猜补。",
    "duplicate_loan_record": "借据号重复的删除银行导出中的多余记录（或更正为另一笔贷款的编号）；警告类调取两份合同，系同一笔的删除一条，确为两笔的同时按一户多贷处理。",
    "name_id_mismatch": "核对借款合同签字、借款人身份证和户口簿：同音字、形近字等录入错误的在出错的系统中更正姓名；用家庭成员身份证号登记的更正借款人身份证号；确为他人的查清由谁借款签字，冒名的报县扶贫办。",
    "duplicate_name": "核实提示，非违规认定：逐一核对每名借款人的身份证原件、户编号和合同签字人；系不同人员的注明“已核实，系不同人员”；贷款记到同名他人名下的更正身份证号或户编号。",
    "suspected_same_person": "核对身份证和户口簿或向派出所核实哪个号码有效：系一人多证的在扶贫信息系统删除或更正错误号码的记录，银行将其名下贷款移到正确号码，并核查该户贷款是否超限；系不同人员（双胞胎、同名）的注明“已核实，系不同人员”。",
    "unreadable_value": "在源系统（银行信贷系统或扶贫信息系统）中更正该单元格后重新导出，不要只在表格里改。",
}


def fix_short(rule: Rule) -> str:
    """The checklist's 整改要求 for a rule: FIX_SHORT, else the docstring's first sentence."""
    if rule.id in FIX_SHORT:
        return FIX_SHORT[rule.id]
    text = " ".join(rule.section(DOC_SECTIONS[2]).split())
    first = re.split(r"(?<=[.。])\s", text, maxsplit=1)[0]
    return first
