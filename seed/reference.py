"""Reference data of the demo bank: channels, products, campaigns, names. Fixed, not random."""

from __future__ import annotations

import datetime as dt

# (channel_id, group, zh, en)
CHANNELS = [
    ("app", "online", "手机银行", "Mobile app"),
    ("online_banking", "online", "网上银行", "Online banking"),
    ("wechat_mini", "online", "微信小程序", "WeChat mini-program"),
    ("wechat_oa", "online", "微信公众号", "WeChat official account"),
    ("card_app", "online", "信用卡App", "Credit-card app"),
    ("partner", "online", "合作平台", "Partner platforms"),
    ("call_in", "remote", "客服热线呼入", "Call centre (in)"),
    ("call_out", "remote", "电话外呼", "Call centre (out)"),
    ("video", "remote", "视频顾问", "Video advisor"),
    ("wecom_1to1", "remote", "企业微信一对一", "WeCom 1-to-1"),
    ("wecom_group", "remote", "企业微信社群", "WeCom groups"),
    ("wecom_moments", "remote", "企业微信朋友圈", "WeCom Moments"),
    ("sms", "remote", "短信", "SMS"),
    ("counter", "offline", "柜面", "Counter"),
    ("lobby", "offline", "大堂", "Lobby"),
    ("wealth_room", "offline", "理财室", "Wealth-management room"),
    ("kiosk", "offline", "智能柜员机", "Smart kiosk"),
    ("merchant", "offline", "合作商户", "Partner merchant sites"),
]
CHANNEL_IDS = [c[0] for c in CHANNELS]
CHANNEL_GROUP = {c[0]: c[1] for c in CHANNELS}

# (product_id, category, zh, en, fee rate on sales)
PRODUCTS = [
    ("DEP_TIME", "deposit", "定期存款", "Time deposit", 0.0),
    ("DEP_LARGE", "deposit", "大额存单", "Large-denomination CD", 0.0),
    ("WM_FIXED", "wealth", "固收理财", "Fixed-income wealth product", 0.004),
    ("WM_MIXED", "wealth", "混合理财", "Mixed wealth product", 0.008),
    ("FUND_EQ", "fund", "股票基金", "Equity fund", 0.012),
    ("FUND_BOND", "fund", "债券基金", "Bond fund", 0.006),
    ("INS_LIFE", "insurance", "保险", "Life insurance", 0.03),
    ("CARD", "card", "信用卡", "Credit card", 0.01),
    ("LOAN_CONS", "consumer_loan", "消费贷", "Consumer loan", 0.005),
    ("LOAN_SME", "sme_loan", "小微企业贷", "SME loan", 0.004),
]
PRODUCT_IDS = [p[0] for p in PRODUCTS]

# (campaign_id, zh, en, product, start, end)
CAMPAIGNS = [
    ("C01", "开门红存款季", "New-year deposit drive", "DEP_TIME", dt.date(2025, 1, 1), dt.date(2025, 3, 31)),
    ("C02", "基金定投节", "Fund savings-plan festival", "FUND_EQ", dt.date(2025, 4, 1), dt.date(2025, 6, 30)),
    (
        "C03",
        "企微专属理财",
        "WeCom-exclusive wealth offer",
        "WM_FIXED",
        dt.date(2025, 6, 1),
        dt.date(2026, 11, 30),
    ),
    ("C04", "信用卡双十一", "Credit-card Double 11", "CARD", dt.date(2025, 10, 15), dt.date(2025, 11, 30)),
    ("C05", "开门红2026", "New-year drive 2026", "DEP_LARGE", dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
    (
        "C06",
        "养老保险月",
        "Retirement insurance month",
        "INS_LIFE",
        dt.date(2026, 4, 1),
        dt.date(2026, 7, 31),
    ),
    ("C07", "小微快贷", "SME quick loan", "LOAN_SME", dt.date(2026, 5, 1), dt.date(2026, 10, 31)),
    ("C08", "消费贷秋季", "Autumn consumer loan", "LOAN_CONS", dt.date(2026, 8, 1), dt.date(2026, 11, 30)),
]

SEGMENTS = ["mass", "young", "affluent", "sme_owner", "private"]
SEGMENT_SHARE = [0.55, 0.20, 0.15, 0.07, 0.03]
SEGMENT_AUM_MEDIAN = [30_000, 12_000, 600_000, 400_000, 6_000_000]

CITIES = [
    ("北京", "Beijing"),
    ("上海", "Shanghai"),
    ("广州", "Guangzhou"),
    ("深圳", "Shenzhen"),
    ("杭州", "Hangzhou"),
    ("南京", "Nanjing"),
    ("成都", "Chengdu"),
    ("武汉", "Wuhan"),
    ("西安", "Xi'an"),
    ("重庆", "Chongqing"),
    ("天津", "Tianjin"),
    ("苏州", "Suzhou"),
    ("长沙", "Changsha"),
    ("郑州", "Zhengzhou"),
    ("青岛", "Qingdao"),
    ("宁波", "Ningbo"),
    ("厦门", "Xiamen"),
    ("济南", "Jinan"),
    ("合肥", "Hefei"),
    ("福州", "Fuzhou"),
    ("沈阳", "Shenyang"),
    ("大连", "Dalian"),
    ("昆明", "Kunming"),
    ("南宁", "Nanning"),
    ("贵阳", "Guiyang"),
    ("南昌", "Nanchang"),
    ("太原", "Taiyuan"),
    ("石家庄", "Shijiazhuang"),
    ("哈尔滨", "Harbin"),
    ("长春", "Changchun"),
]
STREETS = [
    ("人民路", "Renmin Rd"),
    ("中山路", "Zhongshan Rd"),
    ("解放路", "Jiefang Rd"),
    ("建设路", "Jianshe Rd"),
    ("新华路", "Xinhua Rd"),
    ("和平路", "Heping Rd"),
    ("长江路", "Changjiang Rd"),
    ("黄河路", "Huanghe Rd"),
    ("滨江", "Riverside"),
    ("高新区", "Hi-tech Zone"),
    ("开发区", "Development Zone"),
    ("城北", "North"),
    ("城南", "South"),
    ("城东", "East"),
    ("城西", "West"),
    ("金融街", "Finance St"),
    ("科技园", "Science Park"),
    ("大学城", "University Town"),
    ("火车站", "Railway Station"),
    ("机场路", "Airport Rd"),
]
TEAMS = [
    ("财富团队", "Wealth team"),
    ("零售团队", "Retail team"),
    ("营业厅", "Outlet"),
    ("小微团队", "SME team"),
    ("信用卡团队", "Card team"),
]
SURNAMES = [
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "赵",
    "黄",
    "周",
    "吴",
    "徐",
    "孙",
    "胡",
    "朱",
    "高",
    "林",
    "何",
    "郭",
    "马",
    "罗",
]
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
]
