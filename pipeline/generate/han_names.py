"""Han names as a real population has them (`realistic=True`): surnames by their share of
the population, and given names of one or two characters drawn from about a thousand
given-name characters with a Zipf-like weight (the most common characters of men's and
women's names first).

The lists are written out by hand in rough order of frequency; what the generator uses
is what is left after `usable`: no character of another name family, none that reads
like one (any pypinyin reading, or one of readings.toml) and none that a clerk confuses
with one by shape (readings.toml's similar_shapes, names.SHAPE). That keeps the
generator's guarantee that names of two families are never similar, and it is why some
of the commonest characters (国, 文, 丽, 李, 杨: Jingpo and Dai names read li, wen, guo,
yang …) are missing.
"""

from __future__ import annotations

from functools import cache

import numpy as np

# Surnames with their share of the population in per mille (census order; Yunnan's own
# 李, 杨, 马 … are taken out by `usable`, their readings being Jingpo clans').
SURNAME_SHARES = (
    ("王", 71), ("李", 70), ("张", 68), ("刘", 54), ("陈", 46), ("杨", 31), ("黄", 25), ("赵", 23), ("吴", 20),
    ("周", 20), ("徐", 15), ("孙", 14), ("马", 13), ("朱", 13), ("胡", 12), ("郭", 11), ("何", 11), ("林", 10),
    ("高", 10), ("罗", 10), ("郑", 8), ("梁", 8), ("谢", 7), ("宋", 6), ("唐", 6), ("许", 6), ("韩", 6), ("冯", 5),
    ("邓", 5), ("曹", 5), ("彭", 5), ("曾", 5), ("肖", 5), ("田", 5), ("董", 4), ("袁", 4), ("潘", 4), ("于", 4),
    ("蒋", 4), ("蔡", 4), ("余", 4), ("杜", 4), ("叶", 4), ("程", 4), ("苏", 3), ("魏", 3), ("吕", 3), ("丁", 3),
    ("任", 3), ("沈", 3), ("姚", 3), ("卢", 3), ("姜", 3), ("崔", 3), ("钟", 3), ("谭", 3), ("陆", 3), ("汪", 3),
    ("范", 3), ("金", 3), ("石", 3), ("廖", 3), ("贾", 3), ("夏", 2), ("韦", 2), ("付", 2), ("方", 2), ("白", 2),
    ("邹", 2), ("孟", 2), ("熊", 2), ("秦", 2), ("邱", 2), ("江", 2), ("尹", 2), ("薛", 2), ("闫", 2), ("段", 2),
    ("雷", 2), ("侯", 2), ("龙", 2), ("史", 2), ("陶", 2), ("黎", 2), ("贺", 2), ("顾", 2), ("毛", 2), ("郝", 2),
    ("龚", 2), ("邵", 2), ("万", 2), ("钱", 2), ("严", 2), ("覃", 2), ("武", 2), ("戴", 2), ("莫", 1), ("孔", 1),
    ("向", 1), ("汤", 1), ("常", 1), ("左", 1), ("毕", 1), ("普", 1), ("字", 1), ("鲍", 1), ("施", 1), ("殷", 1),
    ("包", 1), ("浦", 1), ("宁", 1), ("柏", 1), ("俞", 1), ("祝", 1), ("倪", 1), ("苗", 1), ("起", 1), ("查", 1),
    ("自", 1), ("保", 1), ("和", 1), ("鄢", 1), ("矣", 1), ("番", 1), ("晏", 1), ("阮", 1), ("缪", 1), ("官", 1),
    ("管", 1), ("凌", 1), ("柴", 1), ("窦", 1), ("甘", 1), ("祁", 1), ("卜", 1), ("聂", 1), ("屈", 1), ("牛", 1),
)
# Given-name characters, commonest first (men's, women's); a character in both lists is
# drawn by both sexes. The later lines (the rarer characters) are typed as the phrases
# and series names are taken from; ODD drops the characters of those that are no names'.
MALE_CHARS = (
    "华明军建平伟强海东光成永福贵德志勇林兵生忠春荣新杰斌峰辉刚波宇超龙飞鹏俊浩鑫亮健金发学清"
    "中红武正才兴庆良顺安宝山富义胜昌家长玉钢锋帅晨旭阳博宏毅凯坤翔航轩豪泽睿子梓皓逸辰铭嘉哲"
    "瑞天一宁远诚信仁和全功业友利维卫民振宗祖继承绍启开达通先进树松柏根茂盛秀英培育寿禄喜财贤"
    "奎魁彪虎豹雄威猛勤朝晖耀亚锦绪世泰乾满仓有万亿连双增加会厚道保洪江河湖川泉水涛洋森岭岗石"
    "珠钦锐钊铎锡镇钧宪宣晋普智慧孝廷庭政治法则均坚恒常久升登科举仕彦云明汉琦祺麟骏驰腾跃奔"
    "凡舟帆航锟铖锴钰铂磊晟昊昱晔曦暄煜炜烨焕炎灿灵璋琥瑜璟琛琨瑾珩玮璞琰珂禹尧舜汤商周秦唐"
    "宋元康熙乾嘉道光绪统鼎彬彤杉桦栋梁楠榕槐樵柯根桐朗润淳渊源清澄瀚漫浪沛涵湛潇澜沐渺济泓"
    "浚淼滨沧海溪汀渝洲州郡都城坡岩峻崇岳峥嵘崎岚巍峦屹岑纪经纬纲纳绵继统续缘文武斌韬略谋策"
    "谦让恭敬俭朴实诚忠义礼智信孝悌勤廉明察审慎谨言行思想念志意愿望希冀盼期待留守护卫保佑佐"
    "佑助辅弼匡扶持拥抱携提举擎托承担负荷载运输送递传播扬显耀彰炳昭晃晓暖旺昶昀晗暾旸皓白云"
    "飞鹤鸣凤鸾鹰雁鹃莺燕雀鸿鹄鹏鲲鲸蛟龙麒麟狮虎豹熊罴貔貅骥骅骝骐骊驹骁骋驾驭驱驰骏德仁义"
    "天地乾坤日月星辰风雨雷电霜雪冰霞露雾虹霓云汉宇宙洪荒玄黄宙宇寰宸宫殿堂室庭院阁楼台榭亭"
    "荣耀光辉灿烂炳焕煊赫熠熹熙照煦燊炅炫炬焰烽火山水木金土石玉珍宝贝财富贵华彩锦绣绮绫罗"
    "伯仲叔季孟甫翁孙子孚儒贞吉祥瑞祯祚禧祐祜禅福祉社稷郊野原田畴畦垦耕耘种植稼穑丰收仓廪"
    "兆亿百千万载秋冬春夏朔望晦旦昼夜晨昏晌午辰巳卯寅丑亥戌酉申未午巳卓越超群拔萃英豪俊杰"
    "冠军帅将士兵卒伍佰仟陆柒捌玖拾壹贰叁肆伍奇特殊异卫国安邦定远宏图伟业鸿猷宪章典范模楷"
    "聪颖敏慧睿哲贤达通晓博闻强识精深渊博钦佩仰慕崇拜尊敬爱戴奉侍候孝顺慈祥和蔼亲切温暖"
    "永久恒远长寿延龄益增添加盈满溢充沛足够丰饶沃腴肥美壮健康泰平宁静谧恬淡雅致远宁静"
    "克勤克俭守正创新求是务实笃行致远厚德载物自强不息明德至善格物致知诚意正心修身齐家"
    "增辉添彩焕发振兴腾飞崛起昌盛繁荣富强民主文明和谐自由平等公正法治爱国敬业诚信友善"
    "贤良方正孝廉茂才明经进士举人秀才状元榜眼探花翰林学士大夫尚书侍郎御史太守知府知县"
)
FEMALE_CHARS = (
    "秀英兰芳玉华珍梅丽红霞萍琴春燕桂凤玲敏静娟艳莲花云翠琼娥美金菊香群素淑惠慧婷雪琳欣颖洁丹"
    "妮娜莉倩佳怡雨思涵悦彤瑶婧璐露嘉琪晶晓月蓉芬芸菲薇蕾荣仙爱珠彩巧飞鸿妹小女娇媛姣姗妍娅婵"
    "娉婉嫣嫦姝妙婕姿姣嫚嫣蓓蕊蕙萱苗茹荷莹茜蓝芮苒菁葳芷芝芙蓉薰蔓萌茗芊芃蘅蘋莎芯茵茉莉珊瑚"
    "琦瑾瑜璇璟琨琛琰珏玮瑛瑗瑶璐瑞琳琼玥珂珑玲珮珺瑄瑷璎环佩钗钿钏翡翠碧青蓝紫朱丹彤绯绛绿黛"
    "岚霏雯霓霖雪霜露虹晴晨曦晓昕暄晗晶昭旭阳春夏秋冬梅兰竹菊桃李杏桂樱榴柳杨松柏桐枫楠桦梓"
    "心意情思念想恩爱慈孝贤淑静娴雅娴婉柔顺和平安康宁乐欢喜悦怡欣庆祥瑞福禄寿喜吉利亨通达"
    "凤鸾鹃莺燕雁鹤鸽鹂鸳鸯蝶蜂蝉萤鱼凌冰清洁净纯真善美丽佳妙好娇媚俏倩嫣然如若似依伊依倚"
    "玉珠宝翠琳琅玫瑰琥珀珊瑚珍珠琉璃翡翠碧玺水晶钻石金银铜铁锦绣丝绸缎绫罗纱绢绮红粉白素"
    "文艺书画诗词歌舞琴棋音韵律调曲谱声馨香芬芳馥郁兰蕙芷若蘅杜蘼芜茝荃蕤葳蕤蓁苓莪菀蔚萦"
    "婀娜嫋娆妩媚婵娟姹嫔妃姬娲嫘婕妤嬛嫱嫒婳媱姞妘姒娀姮嫄媛婷婧娴妤姿妆靓丽颜容貌仪态"
    "春晓秋月冬雪夏荷晨露晚霞朝云暮雨清风明月白露寒霜青丝红颜素心兰心蕙质冰清玉洁秀外慧中"
    "梦蝶怀瑾握瑜凝眸含笑倾城若兮如梦似水柔情蜜意温婉贤淑端庄大方落落秀丽清纯可人甜美"
    "桂花梅花兰花菊花荷花莲花桃花杏花梨花樱花茶花海棠牡丹芍药玫瑰月季百合丁香茉莉栀子"
    "金凤玉凤彩凤翠凤银凤春凤秋凤冬梅腊梅红梅雪梅玉梅金梅银梅翠兰玉兰金兰秀兰春兰桂兰"
)
# The groups of rules/_identity/readings.toml's similar_shapes that hold a character of
# another family (the generator does not import the rules; a test keeps the two in step).
FOREIGN_SHAPES = ("刀力", "干千于", "杨扬", "李季", "本木", "思恩")
HAN_SINGLE_SHARE = 0.3  # share of Han given names of one character
# Characters typed in a run of related ones that are seldom in a name.
ODD = (
    "女烂不是自至外质晚茶握鱼狮鲸禅社稷畦垦廪穑稼萤钻收定切特身创务足起繁谐铁绸缎纱绢粉画词歌舞棋律曲谱声嫋娆姹嫒婳妩钗"
    "钿钏樵渺州郡坡纲纳略谋策让悌提托载暾雀鹄霓宙朔旦萃拔尊佩戴蔼龄益添盈亿奔猛豹火烽炬贝绫亭阁堂孚叔舜周秦唐宋地日崛"
    "丑亥戌酉申未巳卯寅辰晦昼夜昏晌卒伍佰仟陆柒捌玖拾壹贰叁肆殊异猷模楷拜奉侍候谧腴肥够溢充饶沃物息格致修齐家民主治由"
    "公等法友善敬业尚书侍郎御史太守知府知县举人秀才状元榜眼探花学士大夫嫔妃姬娲嫘婕妤嬛嫱媱姞妘姒娀姮嫄妆靓颜容貌仪态"
    "可人甜蜜兮倾凝眸含笑眸百合丁栀药牡芍棠梨输送递负担运传播拥抱携察审想待宫殿室院楼榭荒罴貔貅铜蜂蝉倚茝莪菀蘼芜商电"
    "雾驱驭驾骝播"
)
ZIPF_EXPONENT, ZIPF_OFFSET = 1.0, 4.0


def _distinct(chars: str) -> list[str]:
    return list(dict.fromkeys(c for c in chars if not c.isspace() and c not in ODD))


def usable(chars: list[str], others: set[str], readings, shapes: tuple[str, ...]) -> list[str]:
    """`chars` without the characters of other families (`others`), those sharing a
    reading with one (`readings(c)`: every toneless reading of c) and those sharing a
    similar-shape group with one."""
    banned_readings = set().union(*(readings(c) for c in others))
    banned = set(others) | {c for group in shapes if set(group) & others for c in group}
    return [c for c in chars if c not in banned and not readings(c) & banned_readings]


def zipf_weights(n: int) -> np.ndarray:
    w = 1.0 / (np.arange(n) + 1.0 + ZIPF_OFFSET) ** ZIPF_EXPONENT
    return w / w.sum()


@cache
def tables(others: frozenset[str], readings, shapes: tuple[str, ...]):
    """(surnames, surname weights, given characters, [female, male] weights over them)."""
    surnames = usable([s for s, _ in SURNAME_SHARES], set(others), readings, shapes)
    share = dict(SURNAME_SHARES)
    sur_w = np.array([share[s] for s in surnames], dtype=float)
    female = usable(_distinct(FEMALE_CHARS), set(others), readings, shapes)
    male = usable(_distinct(MALE_CHARS), set(others), readings, shapes)
    chars = list(dict.fromkeys(male + female))
    index = {c: i for i, c in enumerate(chars)}
    weights = np.zeros((2, len(chars)))
    for sex, ranked in ((0, female), (1, male)):
        weights[sex, [index[c] for c in ranked]] = zipf_weights(len(ranked))
    return surnames, sur_w / sur_w.sum(), chars, weights
