"""Identity machinery shared by name_id_mismatch, duplicate_name and suspected_same_person.

Names in the context are already normalised by `pipeline.vocab.values.name` (NFKC, no
white or zero-width characters, one middle dot `·`). Here they are compared:

- `name_key` (names.py): the normalised name without the middle dot, so that 排·麻干
  and 排麻干 (a Jingpo name keyed with and without its separator) are one name.
- readings (names.py, tables in readings.toml): the toneless pinyin readings of each
  character: the first character, when it is a surname read its own way (曾 zeng, 单
  shan, 仇 qiu, 朴 piao, 缪 miao …), gets that reading (pypinyin has no surname mode);
  a character of HETERONYMS gets the set of its name readings (乐 le/yue, 长
  chang/zhang); any other its first reading.
- `name_signals` (scoring.py): for pairs of names, which signals fire — 同名, 同音 (every
  position shares a reading), 形近字 (a substitution listed in SIMILAR_SHAPES), 多字/少字
  (one character added or dropped), 近音 (Yunnan dialect mergers: n/l, zh/z, ch/c,
  sh/s, in/ing, en/eng; evidence only) — with rapidfuzz scores on characters and on
  pinyin.
- `similar`: SPEC §4's "similar names (equal, same toneless pinyin, or one character
  apart)". A one-character *substitution* counts only when it is a similar-shape
  pair: any other substitution is how siblings differ (张建国/张建军, 岳麻干/岳麻诺),
  and twins must not be taken for one person.
- blocking (blocking.py: `people`, `person_keys`, `candidate_pairs`): names are first
  put in groups (`name_groups`) such that two similar names always share one; then,
  within a group, IDs born the same day in the same village, and IDs of one township
  whose 17-digit bodies are one digit or one adjacent transposition apart. The ID pairs
  come from seven sorted passes, each hiding a window of the body and pairing the
  bodies equal outside it (`id_neighbours`); every candidate is then checked exactly.
  No all-pairs anywhere; names are scored (rapidfuzz `process.cpdist`, one vectorised
  call, in scoring.py) only on candidate pairs.

This package re-exports nothing: a rule imports from the module of the job it uses.
"""
