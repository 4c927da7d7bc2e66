package server

import (
	"strings"
	"testing"
)

// dialZH connects to a --lang zh server and reads its greeting, the lobby's
// history and its own online line.
func dialZH(t *testing.T, s *Server) *lineClient {
	t.Helper()
	c := dial(t, s.TCPAddr())
	c.expect("*** 欢迎 " + c.addr + "，你在 [lobby]；输入 /help 查看命令")
	online := "[" + c.addr + "]" + c.addr + ":已上线"
	for line := c.next(); line != online; line = c.next() {
		if !stamp.MatchString(line) {
			t.Fatalf("%s: got %q, want a history line or %q", c.addr, line, online)
		}
	}
	return c
}

// TestPersistZH: the persistence lines in the seed's language.
func TestPersistZH(t *testing.T) {
	s := start(t, func(c *Config) { c.Lang = "zh" })
	a := dialZH(t, s)
	a.send("rename|王五")
	a.expect("用户名修改成功,[" + a.addr + "]->[王五]")
	a.send("/register 密码")
	a.expect("注册成功: 王五")
	a.send("/quit")
	a.expect("再见")

	b := dialZH(t, s)
	b.send("rename|王五")
	b.expect("用户名已被注册")
	b.send("to|王五|你好")
	b.expect("已留言给:[王五]，内容是:你好")

	c := dialZH(t, s)
	b.expect("[" + c.addr + "]" + c.addr + ":已上线")
	c.send("/login 王五 密码")
	b.expect("[" + c.addr + "]" + c.addr + ":改名为王五")
	c.expect("登录成功: 王五")
	if got := unstamp(t, c.next()); got != "来自:["+b.addr+"]的消息，内容是:你好" {
		t.Errorf("kept message: %q", got)
	}
	c.send("/history")
	c.expect("*** [lobby] 暂无消息")

	// Last, as it bars every login from this address for ten minutes.
	for range 5 {
		b.send("/login 王五 错")
		b.expect("密码错误")
	}
	b.send("/login 王五 密码")
	if got := b.next(); !strings.HasPrefix(got, "尝试次数过多，请") || !strings.HasSuffix(got, "后再试") {
		t.Errorf("sixth login: %q", got)
	}
}
