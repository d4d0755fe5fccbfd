//! ssh's prompts, as Hangar's askpass reads them (OpenSSH 9's wording), and ssh's
//! refusals in plain words.

use hangar::backend::conn::askpass::{classify, reply, Prompt};
use hangar::backend::error_words::ssh_words;

#[test]
fn ssh_prompts_are_told_apart() {
    assert_eq!(
        classify("root@10.77.0.2's password: "),
        Prompt::Password {
            account: "root@10.77.0.2".into()
        }
    );
    assert_eq!(
        classify("Enter passphrase for key '/home/me/.ssh/id_ed25519': "),
        Prompt::Passphrase {
            key: "/home/me/.ssh/id_ed25519".into()
        }
    );
    let unknown = "The authenticity of host '10.77.0.2 (10.77.0.2)' can't be established.\n\
        ED25519 key fingerprint is SHA256:RVxddIzHiuCXiKBpxrpVYIqGC2EEDd4NO/CvzZRIkkg.\n\
        This key is not known by any other names.\n\
        Are you sure you want to continue connecting (yes/no/[fingerprint])? ";
    assert_eq!(
        classify(unknown),
        Prompt::HostKey {
            host: "10.77.0.2".into(),
            kind: "ED25519".into(),
            fingerprint: "SHA256:RVxddIzHiuCXiKBpxrpVYIqGC2EEDd4NO/CvzZRIkkg".into(),
        }
    );
    assert_eq!(
        classify("Verification code: "),
        Prompt::Other("Verification code:".into())
    );
    assert_eq!(reply(Some("secret")), "OK\nsecret");
    assert_eq!(reply(None), "NO\n");
}

#[test]
fn ssh_refusals_are_said_plainly() {
    let changed = "Cannot recv data: @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n\
        @    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n\
        Offending ED25519 key in /root/.ssh/known_hosts:1\n\
        Host key verification failed.: Connection reset by peer";
    let w = ssh_words(changed).expect("known");
    assert!(
        w.contains("changed") && w.contains("/root/.ssh/known_hosts:1"),
        "{w}"
    );
    assert!(
        ssh_words("Cannot recv data: Host key verification failed.: Connection reset by peer")
            .unwrap()
            .contains("not trusted")
    );
    assert!(
        ssh_words("Cannot recv data: root@h: Permission denied (publickey,password).")
            .unwrap()
            .contains("refused")
    );
    assert_eq!(ssh_words("Connection refused"), None);
}
