/*
 * TPM 2.0 sealing through tpm2-tss's ESAPI (tpm.h); the only file that includes tss2
 * headers. Each call connects through the TCTI, makes the primary key from a fixed
 * template under the owner hierarchy (the same key every time on the same TPM: it is
 * derived from the TPM's owner seed, so it needs no persistent handle), and either
 * creates a sealed data object (keyed-hash, no sign/decrypt, fixedTPM, fixedParent, no
 * dictionary-attack lockout, empty auth, no policy) holding the secret, or loads the
 * object from the slot's blobs and unseals it. Commands go through an HMAC session salted
 * by the primary key with parameter encryption, so neither the secret sent to TPM2_Create
 * nor the one TPM2_Unseal returns crosses the TCTI in the clear. The owner hierarchy's
 * auth is assumed empty (the default). PCR policies are not used.
 */
#include <stdbool.h>
#include <string.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>
#include "base/errors.h"
#include "base/log.h"
#include "base/secmem.h"
#include "keys/tpm.h"

struct tpm_conn {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *esys;
	ESYS_TR primary, session, object;
};

static void conn_close(struct tpm_conn *t)
{
	/* flushes free transient TPM memory; a failure leaves nothing to undo */
	if (t->object != ESYS_TR_NONE)
		(void)Esys_FlushContext(t->esys, t->object);
	if (t->session != ESYS_TR_NONE)
		(void)Esys_FlushContext(t->esys, t->session);
	if (t->primary != ESYS_TR_NONE)
		(void)Esys_FlushContext(t->esys, t->primary);
	if (t->esys)
		Esys_Finalize(&t->esys);
	if (t->tcti)
		Tss2_TctiLdr_Finalize(&t->tcti);
}

/* Connect, make the primary key and start the salted, encrypting session. */
static int conn_open(struct tpm_conn *t, const char *tcti, size_t tcti_len)
{
	static const TPMT_SYM_DEF sym = {
		.algorithm = TPM2_ALG_AES, .keyBits.aes = 128, .mode.aes = TPM2_ALG_CFB
	};
	TPM2B_PUBLIC tmpl = { 0 };
	TPMT_PUBLIC *p = &tmpl.publicArea;
	TPM2B_SENSITIVE_CREATE in = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION pcrs = { 0 };
	char conf[TPM_TCTI_MAX + 1];
	TSS2_RC rc;

	memset(t, 0, sizeof(*t));
	t->primary = t->session = t->object = ESYS_TR_NONE;
	/* the fixed template of the primary key (an SRK-like storage key) */
	p->type = TPM2_ALG_ECC;
	p->nameAlg = TPM2_ALG_SHA256;
	p->objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
			      TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
			      TPMA_OBJECT_NODA | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
	p->parameters.eccDetail.symmetric.algorithm = TPM2_ALG_AES;
	p->parameters.eccDetail.symmetric.keyBits.aes = 128;
	p->parameters.eccDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	p->parameters.eccDetail.scheme.scheme = TPM2_ALG_NULL;
	p->parameters.eccDetail.curveID = TPM2_ECC_NIST_P256;
	p->parameters.eccDetail.kdf.scheme = TPM2_ALG_NULL;
	if (tcti_len == 0 || tcti_len > TPM_TCTI_MAX || memchr(tcti, 0, tcti_len))
		return -EINVAL;
	memcpy(conf, tcti, tcti_len);
	conf[tcti_len] = '\0';
	if ((rc = Tss2_TctiLdr_Initialize(conf, &t->tcti)) != TSS2_RC_SUCCESS) {
		log_info("tpm: no TPM at TCTI '%s': %s", conf, Tss2_RC_Decode(rc));
		t->tcti = NULL;
		return -ENODEV;
	}
	if ((rc = Esys_Initialize(&t->esys, t->tcti, NULL)) != TSS2_RC_SUCCESS) {
		log_info("tpm: cannot start ESAPI on '%s': %s", conf, Tss2_RC_Decode(rc));
		t->esys = NULL;
		return -ENODEV;
	}
	rc = Esys_CreatePrimary(t->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				ESYS_TR_NONE, &in, &tmpl, &outside, &pcrs, &t->primary, NULL, NULL,
				NULL, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		t->primary = ESYS_TR_NONE;
		log_warn("tpm: cannot create the primary key on '%s': %s", conf,
			 Tss2_RC_Decode(rc));
		/* nothing answering the TCTI protocol at all is no TPM */
		return (rc & TSS2_RC_LAYER_MASK) == TSS2_TCTI_RC_LAYER ? -ENODEV : -EIO;
	}
	rc = Esys_StartAuthSession(t->esys, t->primary, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
				   ESYS_TR_NONE, NULL, TPM2_SE_HMAC, &sym, TPM2_ALG_SHA256,
				   &t->session);
	if (rc != TSS2_RC_SUCCESS) {
		t->session = ESYS_TR_NONE;
		log_warn("tpm: cannot start a session on '%s': %s", conf, Tss2_RC_Decode(rc));
		return -EIO;
	}
	rc = Esys_TRSess_SetAttributes(t->esys, t->session,
				       TPMA_SESSION_DECRYPT | TPMA_SESSION_ENCRYPT |
					       TPMA_SESSION_CONTINUESESSION,
				       0xff);
	if (rc != TSS2_RC_SUCCESS) {
		log_warn("tpm: cannot set the session's attributes: %s", Tss2_RC_Decode(rc));
		return -EIO;
	}
	return 0;
}

int tpm_seal(const char *tcti, size_t tcti_len, const uint8_t secret[static TPM_SECRET_LEN],
	     struct config_slot *s)
{
	TPM2B_PUBLIC tmpl = { 0 };
	TPM2B_SENSITIVE_CREATE *in = secmem_alloc(sizeof(*in));
	TPM2B_PRIVATE *priv = NULL;
	TPM2B_PUBLIC *pub = NULL;
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION pcrs = { 0 };
	struct tpm_conn t;
	size_t off = 0;
	TSS2_RC rc;
	int r;

	if (!in)
		return -ENOMEM;
	/* the sealed data object: no sign or decrypt, no policy, empty auth */
	tmpl.publicArea.type = TPM2_ALG_KEYEDHASH;
	tmpl.publicArea.nameAlg = TPM2_ALG_SHA256;
	tmpl.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
					   TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA;
	tmpl.publicArea.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL;
	if ((r = conn_open(&t, tcti, tcti_len)) < 0)
		goto out;
	memset(in, 0, sizeof(*in));
	in->sensitive.data.size = TPM_SECRET_LEN;
	memcpy(in->sensitive.data.buffer, secret, TPM_SECRET_LEN);
	rc = Esys_Create(t.esys, t.primary, t.session, ESYS_TR_NONE, ESYS_TR_NONE, in, &tmpl,
			 &outside, &pcrs, &priv, &pub, NULL, NULL, NULL);
	r = -EIO;
	if (rc != TSS2_RC_SUCCESS) {
		log_warn("tpm: cannot create the sealed object: %s", Tss2_RC_Decode(rc));
		priv = NULL;
		pub = NULL;
		goto out;
	}
	rc = Tss2_MU_TPMT_PUBLIC_Marshal(&pub->publicArea, s->tpm_public, CONFIG_TPM_BLOB_MAX,
					 &off);
	if (rc != TSS2_RC_SUCCESS || off == 0 || priv->size == 0 ||
	    priv->size > CONFIG_TPM_BLOB_MAX) {
		log_warn("tpm: the sealed object does not fit a slot");
		goto out;
	}
	s->tpm_public_len = (uint16_t)off;
	memcpy(s->tpm_private, priv->buffer, priv->size);
	s->tpm_private_len = priv->size;
	r = 0;
out:
	conn_close(&t);
	Esys_Free(priv);
	Esys_Free(pub);
	secmem_free(in);
	return r;
}

int tpm_unseal(const char *tcti, size_t tcti_len, const struct config_slot *s,
	       uint8_t secret[static TPM_SECRET_LEN])
{
	TPM2B_SENSITIVE_DATA *out = NULL;
	TPM2B_PRIVATE priv = { 0 };
	TPM2B_PUBLIC pub = { 0 };
	struct tpm_conn t;
	size_t off = 0;
	TSS2_RC rc;
	int r = -EPROTO;

	t.tcti = NULL;
	t.esys = NULL;
	t.primary = t.session = t.object = ESYS_TR_NONE;
	secure_wipe(secret, TPM_SECRET_LEN);
	/* The blobs come from the share: parse them whole before any TPM sees them. */
	if (s->type != CONFIG_SLOT_TPM || s->tpm_public_len < 1 ||
	    s->tpm_public_len > CONFIG_TPM_BLOB_MAX || s->tpm_private_len < 1 ||
	    s->tpm_private_len > CONFIG_TPM_BLOB_MAX)
		goto out;
	rc = Tss2_MU_TPMT_PUBLIC_Unmarshal(s->tpm_public, s->tpm_public_len, &off,
					   &pub.publicArea);
	if (rc != TSS2_RC_SUCCESS || off != s->tpm_public_len ||
	    pub.publicArea.type != TPM2_ALG_KEYEDHASH) {
		log_warn("tpm: the slot '%s' does not hold a sealed object", s->label);
		goto out;
	}
	pub.size = (uint16_t)off;
	priv.size = s->tpm_private_len;
	memcpy(priv.buffer, s->tpm_private, s->tpm_private_len);
	if ((r = conn_open(&t, tcti, tcti_len)) < 0)
		goto out;
	rc = Esys_Load(t.esys, t.primary, t.session, ESYS_TR_NONE, ESYS_TR_NONE, &priv, &pub,
		       &t.object);
	if (rc != TSS2_RC_SUCCESS) {
		t.object = ESYS_TR_NONE;
		log_info("tpm: this TPM does not load the object of slot '%s': %s", s->label,
			 Tss2_RC_Decode(rc));
		r = (rc & TSS2_RC_LAYER_MASK) == TSS2_TPM_RC_LAYER ? -EPERM : -EIO;
		goto out;
	}
	rc = Esys_Unseal(t.esys, t.object, t.session, ESYS_TR_NONE, ESYS_TR_NONE, &out);
	if (rc != TSS2_RC_SUCCESS) {
		out = NULL;
		log_info("tpm: this TPM does not unseal slot '%s': %s", s->label,
			 Tss2_RC_Decode(rc));
		r = (rc & TSS2_RC_LAYER_MASK) == TSS2_TPM_RC_LAYER ? -EPERM : -EIO;
		goto out;
	}
	r = -EPERM;
	if (out->size != TPM_SECRET_LEN)
		goto out;
	memcpy(secret, out->buffer, TPM_SECRET_LEN);
	r = 0;
out:
	if (out) {
		secure_wipe(out, sizeof(*out));
		Esys_Free(out);
	}
	conn_close(&t);
	if (r < 0)
		secure_wipe(secret, TPM_SECRET_LEN);
	return r;
}
