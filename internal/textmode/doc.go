// Package textmode is Parley's text mode, the one a user speaks with nc: it
// turns typed lines into chat.Commands and chat.Events into lines, worded in
// English ("en", the default) or in the seeds' Chinese ("zh"). It mirrors
// PROTOCOL.md, "Text mode: what a user types" and "Text mode: what the server
// sends"; where the two differ, PROTOCOL.md wins.
//
// # What a user types
//
// Every line is cleaned first (chat.Clean), then commands are recognised on
// it with trailing white space removed. Slash words match ignoring case and
// end at the first space; a command without arguments ignores the rest.
// A password is never put into an error: usage errors carry a fixed Arg,
// an unknown command only its first word, and a first word that starts with
// /register or /login (ignoring case; "/registerhunter2", the space
// forgotten) is that command's usage error rather than an unknown command.
//
//	line                     command
//	(empty)                  OpNone: activity, nothing else
//	who, /who                OpWho
//	rename|NAME              OpNick; NAME is everything after "rename|"
//	/nick NAME               OpNick; usage error "/nick NAME" without one
//	to|NAME|TEXT             OpDM; TEXT is everything after the second '|';
//	                         usage error "to|NAME|TEXT" without NAME or '|'
//	/msg NAME TEXT           OpDM; TEXT is everything after the space after
//	                         NAME; usage error "/msg NAME TEXT" without both
//	/join ROOM               OpJoin; usage error "/join ROOM" without one
//	/rooms, /help, /quit     OpRooms, OpHelp, OpQuit
//	/register PASSWORD       OpRegister; Text (the password) is everything
//	                         after "/register ", inner spaces kept; usage
//	                         error "/register PASSWORD" without one
//	/login NAME PASSWORD     OpLogin; NAME up to the next space, Text (the
//	                         password) everything after it; usage error
//	                         "/login NAME PASSWORD" without both
//	/history [N]             OpHistory; Limit N (ASCII digits, at least 1,
//	                         at most 2147483647: larger saturates), 0
//	                         without N; usage error "/history [N]" for
//	                         anything else
//	//TEXT                   OpSay with the chat line "/TEXT"
//	/X ...                   OpInvalid: unknown command /X
//	ADDR#TEXT, anything else OpSay, the line as typed; AddrDM when it has a
//	                         '#' (the hub decides whether ADDR is a user)
//
// # What the server sends
//
// One event per line, or one line per item for lists; [ADDR] is left out
// when the event carries no address (--hide-addrs). The wording lives in two
// catalogs, en and zh (catalog.go):
//
//	event             en                                  zh
//	welcome           *** welcome NAME, you are in [ROOM]; /help lists commands
//	                                                      *** 欢迎 NAME，你在 [ROOM]；输入 /help 查看命令
//	history, per msg  [2006-01-02 15:04:05] LINE          same (UTC)
//	chat              [ADDR]NAME:TEXT                     same
//	online / offline  [ADDR]NAME:online / :offline        [ADDR]NAME:已上线 / :下线
//	joined / left     [ADDR]NAME:joined / :left           [ADDR]NAME:加入 / :离开
//	renamed           [ADDR]OLD:renamed to NEW            [ADDR]OLD:改名为NEW
//	rename ok         renamed: [OLD]->[NEW]               用户名修改成功,[OLD]->[NEW]
//	join ok           joined [ROOM]                       已加入 [ROOM]
//	who, per user     [NAME] is online                    same
//	rooms, per room   [ROOM] N online                     [ROOM] N 人在线
//	dm received       from [NAME]: TEXT                   来自:[NAME]的消息，内容是:TEXT
//	dm sent           to [NAME]: TEXT                     发送给:[NAME]的消息，内容是:TEXT
//	dm stored         queued for [NAME]: TEXT             已留言给:[NAME]，内容是:TEXT
//	dm kept offline   [2006-01-02 15:04:05] from [NAME]: TEXT
//	                                                      [2006-01-02 15:04:05] 来自:[NAME]的消息，内容是:TEXT
//	history, empty    *** no messages in [ROOM]           *** [ROOM] 暂无消息
//	                  (only when it answers /history, Empty; otherwise nothing)
//	registered        registered: NAME                    注册成功: NAME
//	logged in         logged in as NAME                   登录成功: NAME
//	pong              pong                                pong
//	help              one line per command                the same in Chinese
//	bye quit          bye                                 再见
//	bye idle          idle for DURATION: disconnected     你已超时，将被踢出下线
//	bye slow          too slow: disconnected              接收过慢，已断开
//	bye shutdown      server shutting down                服务器关闭
//	bye kicked        kicked: REASON                      你已被踢出: REASON
//
// Errors (chat.Problem):
//
//	name taken        error: name taken: NAME             用户名已存在，修改失败
//	invalid name      error: invalid name: REASON         用户名不合法: REASON
//	invalid room      error: invalid room: REASON         房间名不合法: REASON
//	bad to| line      error: usage: to|NAME|TEXT          发送私聊消息格式错误,正确格式:to|张三|你好呀
//	bad /msg line     error: usage: /msg NAME TEXT        私聊格式错误,正确格式:/msg 张三 你好呀
//	other usage       error: usage: USAGE                 格式错误,正确格式:USAGE
//	no such user      error: no such user: NAME           目标对象不存在，请仔细检查
//	empty dm          error: empty message                消息内容格式错误
//	line too long     error: line too long (max N bytes)  消息过长(最多N字节)
//	unknown command   error: unknown command /X (try /help)
//	                                                      未知命令 /X (输入 /help 查看)
//	too many conns    error: too many connections (max N) 连接数已满(最多N个)
//	too many per addr error: too many connections from your address (max N)
//	                                                      你的地址连接数过多(最多N个)
//	shutting down     error: server shutting down         服务器正在关闭
//	bad request       error: bad request: WHAT            请求格式错误: WHAT
//	unknown op        error: unknown op: OP               未知操作: OP
//	name registered   error: name registered: NAME        用户名已被注册
//	bad password      error: bad password                 密码错误
//	rate limited      error: too many attempts, wait DURATION
//	                                                      尝试次数过多，请DURATION后再试
//	store unavailable error: store unavailable            存储不可用
//
// DURATION is the wait rounded up to whole seconds (at least 1s), as
// time.Duration prints it: 30s, 9m59s.
//
// A name's REASON is "empty", "longer than 32 characters", "character 'X'
// not allowed (use letters, digits, _ - .)" or "choose a name first (/nick
// NAME)" (zh 不能为空, 超过32个字符, 不允许的字符 'X'(只能用字母、数字、_ - .),
// 请先改名(/nick 名字)). A problem without wording here is
// sent as "error: CODE" (zh "错误: CODE"); an event kind without wording
// yields no line at all.
package textmode
