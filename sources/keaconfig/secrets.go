package keaconfig

import (
	"fmt"
	"strings"

	"github.com/keaops/keaops/internal/model"
)

// Secrets in a configuration read back. keaops renders a secret as a
// placeholder (model.SecretRef.Placeholder), which reads back as its
// reference. A secret written literally — a live config-get prints the
// HA peers' password, a hand-written file holds the database's — is
// never kept: a plain read reports it unmodelled; an import (Import)
// turns it into an environment reference and lists it, so that the user
// moves the value where keaops reads it.

// Literal is a secret a configuration held literally, and the reference
// an import gave it.
type Literal struct {
	// Path is where it was, e.g. Dhcp4.lease-database.password.
	Path string
	Ref  *model.SecretRef
}

func (l Literal) String() string {
	return fmt.Sprintf("%s was written literally: it is now {env: %s}; set %s where keaops deploys", l.Path, l.Ref.Env, l.Ref.Env)
}

// secretKeys are the keys whose values are secrets wherever they are in
// Kea's JSON (as yamlsrc refuses them written literally).
var secretKeys = map[string]bool{"password": true, "secret": true, "basic-auth-password": true, "token": true}

// secret reads the secret at o.k: a placeholder as its reference; a
// literal as env (an import), or reported.
func (r *reader) secret(o *obj, k, env string) *model.SecretRef {
	v := o.str(k)
	if ref := placeholderRef(v); ref != nil {
		ref.Pos = r.pos
		return ref
	}
	if v == "" {
		return nil
	}
	return r.literal(o.path+"."+k, env, v)
}

// literal is what a literal secret at path becomes: the same value under
// one name (the HA peers' one password), another value under another.
func (r *reader) literal(path, env, value string) *model.SecretRef {
	p := r.p
	if p.literals == nil {
		p.unmodelled = append(p.unmodelled, path+" = (a literal secret, not shown: keaops takes secrets as {env: …} or {file: …})")
		return nil
	}
	if p.secretValues == nil {
		p.secretValues = map[string]string{}
	}
	name := env
	for i := 2; ; i++ {
		v, taken := p.secretValues[name]
		if !taken || v == value {
			break
		}
		name = fmt.Sprintf("%s_%d", env, i)
	}
	p.secretValues[name] = value
	ref := &model.SecretRef{Env: name, Pos: r.pos}
	*p.literals = append(*p.literals, Literal{Path: path, Ref: ref})
	return ref
}

// secretsIn turns keaops's secret placeholders in decoded JSON (raw Kea
// JSON, hook parameters) back into the references they stand for; a
// literal secret, as secret does.
func (r *reader) secretsIn(v any, path string) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			if s, ok := e.(string); ok && secretKeys[k] && s != "" && placeholderRef(s) == nil {
				if ref := r.literal(path+"."+k, "KEA_"+envWord(path+"_"+k), s); ref != nil {
					m[k] = ref
				}
				continue
			}
			m[k] = r.secretsIn(e, path+"."+k)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = r.secretsIn(e, fmt.Sprintf("%s[%d]", path, i))
		}
		return l
	case string:
		if ref := placeholderRef(x); ref != nil {
			return ref
		}
	}
	return v
}

// placeholderRef reads a secret placeholder, nil for any other text.
func placeholderRef(v string) *model.SecretRef {
	ref, ok := strings.CutPrefix(v, model.SecretPrefix)
	ref, ok2 := strings.CutSuffix(ref, model.SecretSuffix)
	kind, name, ok3 := strings.Cut(ref, ":")
	switch {
	case !ok || !ok2 || !ok3:
		return nil
	case kind == "env":
		return &model.SecretRef{Env: name}
	case kind == "file":
		return &model.SecretRef{File: name}
	}
	return nil
}

// envWord is s as part of an environment variable name: upper case,
// letters, digits and '_'.
func envWord(s string) string {
	s = strings.TrimPrefix(s, "Dhcp4.")
	var b strings.Builder
	for _, c := range strings.ToUpper(s) {
		switch {
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
			b.WriteRune(c)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "_"):
			b.WriteByte('_')
		}
	}
	return strings.Trim(b.String(), "_")
}
