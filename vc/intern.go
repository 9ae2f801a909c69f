package vc

// Interned map keys and string values for DecodeJSON's map decoding.
//
// Measured (credshare issue 13, go test -bench Sign -cpu 1 ./vc/issuer
// -memprofile, alloc_objects): once proof signing stopped allocating
// elsewhere, decoding the credential into a map[string]any was ~70% of
// the allocations of an eddsa-rdfc-2022 signature: a string for every
// key, and a string plus its interface box for every string value. The
// keys of the model and of proofs, and the common type names, proof
// terms and context URLs, are decoded to these shared strings (values
// already boxed) instead; the map is the same.

// internedKeys maps a key to its shared copy.
var internedKeys = func() map[string]string {
	m := map[string]string{}
	for _, names := range [][]string{
		credentialNames, imageNames, profileNames, criteriaNames, alignmentNames, achievementNames,
		subjectNames, evidenceNames, statusNames, identityNames, schemaNames,
		{"created", "verificationMethod", "proofPurpose", "cryptosuite", "proofValue", "challenge", "domain",
			"@id", "@type", "@value", "@language", "holder", "verifiableCredential", "issuanceDate",
			"expirationDate", "awardedDate", "result", "results", "alignments", "tag", "creditsEarned"},
	} {
		for _, n := range names {
			m[n] = n
		}
	}
	return m
}()

// internedValues maps a string value to its shared copy, boxed.
var internedValues = func() map[string]any {
	m := map[string]any{}
	for _, v := range []string{
		ContextV1, ContextV2, ContextOBv3, ContextOBv30, ContextOBv3Extensions, ContextCLR,
		ContextEd25519Signature2020, ContextDataIntegrityV2, ContextStatusList2021, ContextBitstringStatusList,
		ContextDIDv1, ContextMultikeyV1,
		"VerifiableCredential", "VerifiablePresentation", "OpenBadgeCredential", "AchievementCredential",
		"Achievement", "AchievementSubject", "Profile", "Image", "Evidence", "Alignment", "Criteria",
		"IdentityObject", "ClrCredential", "ClrSubject", "BitstringStatusListEntry", "StatusList2021Entry",
		"revocation", "suspension", "1EdTechJsonSchemaValidator2019", "Certificate", "Badge",
		"DataIntegrityProof", "Ed25519Signature2020", "eddsa-rdfc-2022", "eddsa-jcs-2022",
		"assertionMethod", "authentication",
	} {
		m[v] = v
	}
	return m
}()
