"""A realistic corpus of a digital-inclusion network's documents, and what people type to find them.

Each query names the title that must come first (or, with ``top=3``, among the first three).
Queries cover accents typed or not, plural/singular, derived words, typos, and words only
present in tags or in the body.
"""

from __future__ import annotations

DOCUMENTS: list[dict[str, object]] = [
    {
        "title": "Procédure CAF — mise à jour de situation",
        "tags": ["caf", "accès aux droits"],
        "category": "procedure",
        "body": "Se connecter sur caf.fr avec son numéro d'allocataire. Déclarer un changement "
        "de situation familiale ou professionnelle : naissance, séparation, reprise d'emploi. "
        "Penser à la déclaration trimestrielle de ressources pour la prime d'activité.",
    },
    {
        "title": "Grille d'auto-diagnostic PIX",
        "tags": ["pix", "diagnostic", "compétences"],
        "category": "diagnostic",
        "body": "Questionnaire d'auto-évaluation des compétences numériques en cinq domaines : "
        "information et données, communication, création de contenus, protection et sécurité, "
        "environnement numérique. À faire passer avant l'entrée en atelier.",
    },
    {
        "title": "Annuaire des permanences numériques de Mérignac",
        "tags": ["annuaire", "permanences"],
        "category": "annuaire",
        "body": "Liste des lieux et horaires : Maison des Habitants de Beutre le mardi matin, "
        "médiathèque Michel Serres le mercredi, CCAS le jeudi sur rendez-vous, "
        "espace France Services le vendredi.",
    },
    {
        "title": "Compte rendu du COPIL du 12 mars",
        "tags": ["copil", "gouvernance"],
        "category": "compte-rendu",
        "body": "Présents : élus, CCAS, médiathèques, associations. Bilan du semestre, "
        "calendrier de la lettre d'information bimestrielle, point sur les ateliers "
        "dans les quartiers prioritaires (QPV).",
    },
    {
        "title": "Créer son espace personnel sur ameli.fr",
        "tags": ["cpam", "santé", "accès aux droits"],
        "category": "procedure",
        "body": "Avec la carte Vitale et un RIB, créer le compte ameli. Télécharger une "
        "attestation de droits, suivre ses remboursements de soins, commander une carte "
        "européenne d'assurance maladie.",
    },
    {
        "title": "Déclarer ses revenus en ligne sur impots.gouv.fr",
        "tags": ["impôts", "déclaration"],
        "category": "procedure",
        "body": "Se munir du numéro fiscal et du revenu fiscal de référence. La déclaration "
        "automatique concerne les foyers sans changement. Prélèvement à la source : "
        "modifier son taux.",
    },
    {
        "title": "Demande de retraite en ligne (info-retraite.fr)",
        "tags": ["retraite", "carsat"],
        "category": "procedure",
        "body": "Une demande unique pour tous les régimes de retraite de base et "
        "complémentaires, six mois avant la date de départ. Relevé de carrière à vérifier.",
    },
    {
        "title": "S'inscrire à France Travail (ex Pôle emploi)",
        "tags": ["emploi", "france travail"],
        "category": "procedure",
        "body": "Inscription comme demandeur d'emploi, actualisation mensuelle, "
        "consultation des offres, CV en ligne, messagerie avec le conseiller.",
    },
    {
        "title": "Créer une adresse e-mail : fiche pas à pas",
        "tags": ["messagerie", "débutant"],
        "category": "formation",
        "body": "Choisir un fournisseur, un identifiant et un mot de passe solide. Envoyer un "
        "courriel avec une pièce jointe. Reconnaître un message d'hameçonnage.",
    },
    {
        "title": "Sécuriser ses mots de passe",
        "tags": ["cybersécurité", "débutant"],
        "category": "formation",
        "body": "Une phrase de passe par service, un gestionnaire de mots de passe, la double "
        "authentification. Que faire en cas de piratage du compte.",
    },
    {
        "title": "Charte de l'aidant numérique",
        "tags": ["charte", "déontologie"],
        "category": "charte",
        "body": "L'aidant ne fait pas à la place de la personne sans mandat. Confidentialité des "
        "identifiants, consentement, recours à Aidants Connect pour agir pour le compte "
        "d'un usager.",
    },
    {
        "title": "Aidants Connect : habilitation des structures",
        "tags": ["aidants connect", "mandat"],
        "category": "procedure",
        "body": "Procédure d'habilitation, formation obligatoire des aidants, création de "
        "mandats pour réaliser des démarches administratives à la place de l'usager.",
    },
    {
        "title": "Lettre d'information n°4 — janvier",
        "tags": ["lettre", "actualités"],
        "category": "lettre",
        "body": "Nouveaux ateliers de la médiathèque, arrivée d'une conseillère numérique au "
        "CCAS, rappel du prochain COPIL, zoom sur le bus numérique itinérant.",
    },
    {
        "title": "Plaquette du bus numérique itinérant",
        "tags": ["itinérance", "aller vers"],
        "category": "partenaire",
        "body": "Le bus s'arrête dans les quartiers prioritaires : Beaudésert, Yser, Pont de "
        "Madame. Postes connectés, imprimante, aide aux démarches sans rendez-vous.",
    },
    {
        "title": "Obtenir la complémentaire santé solidaire",
        "tags": ["css", "santé", "accès aux droits"],
        "category": "procedure",
        "body": "Conditions de ressources, demande sur ameli ou formulaire papier, pièces "
        "justificatives, renouvellement annuel de la mutuelle gratuite ou à moins d'un euro "
        "par jour.",
    },
    {
        "title": "Demander une aide au logement (APL)",
        "tags": ["caf", "logement"],
        "category": "procedure",
        "body": "Simulation sur caf.fr, bail et quittance de loyer, déclaration des ressources. "
        "Cas des étudiants et des colocations.",
    },
    {
        "title": "Carte grise et permis : démarches ANTS",
        "tags": ["ants", "véhicule"],
        "category": "procedure",
        "body": "Changement de titulaire du certificat d'immatriculation, déclaration de "
        "cession, demande de permis de conduire, photo et signature numérisées.",
    },
    {
        "title": "Prendre rendez-vous pour une carte d'identité ou un passeport",
        "tags": ["ants", "identité"],
        "category": "procedure",
        "body": "Pré-demande en ligne, prise de rendez-vous en mairie, timbre fiscal pour le "
        "passeport, délais d'obtention.",
    },
    {
        "title": "FranceConnect : se connecter aux services publics",
        "tags": ["franceconnect", "identité numérique"],
        "category": "formation",
        "body": "Utiliser un compte existant (impots, ameli, La Poste) pour se connecter à "
        "plusieurs services. L'Identité Numérique La Poste et l'application France Identité.",
    },
    {
        "title": "Atelier tablette pour les seniors",
        "tags": ["seniors", "atelier", "tablette"],
        "category": "formation",
        "body": "Programme en six séances : allumer la tablette, les gestes tactiles, "
        "appeler en visio ses petits-enfants, photos, applications utiles.",
    },
    {
        "title": "Kit d'accueil des personnes allophones",
        "tags": ["allophones", "traduction"],
        "category": "formation",
        "body": "Outils de traduction, pictogrammes, orientation vers les cours de français "
        "langue étrangère et les permanences d'écrivains publics.",
    },
    {
        "title": "Orientation : qui fait quoi dans le réseau",
        "tags": ["orientation", "annuaire"],
        "category": "annuaire",
        "body": "Tableau des structures et de leurs compétences : accès aux droits, "
        "apprentissage, équipement, connexion. Rester dans son champ de compétence et orienter "
        "vers le bon partenaire.",
    },
    {
        "title": "Points wifi publics et ordinateurs en libre-service",
        "tags": ["wifi", "équipement"],
        "category": "annuaire",
        "body": "Recensement des points d'accès wifi gratuits et des postes informatiques en "
        "accès libre dans les équipements municipaux.",
    },
    {
        "title": "Reconditionnement d'ordinateurs : partenariat avec une association",
        "tags": ["équipement", "ordinateurs"],
        "category": "partenaire",
        "body": "Dons d'ordinateurs reconditionnés aux familles, conditions d'éligibilité, "
        "prise en charge de la connexion internet solidaire.",
    },
    {
        "title": "Pass numérique : mode d'emploi",
        "tags": ["pass numérique", "chèques"],
        "category": "procedure",
        "body": "Carnets de chèques APTIC remis aux usagers pour suivre des ateliers dans les "
        "lieux qualifiés. Suivi et remboursement des structures.",
    },
    {
        "title": "Rapport d'activité annuel de la médiation numérique",
        "tags": ["rapport", "observatoire"],
        "category": "rapport",
        "body": "Nombre d'accompagnements, typologie des publics, démarches les plus "
        "fréquentes, fréquentation des ateliers par quartier.",
    },
    {
        "title": "Protection des données personnelles (RGPD) en accompagnement",
        "tags": ["rgpd", "confidentialité"],
        "category": "formation",
        "body": "Ne jamais conserver les identifiants des usagers, recueillir le consentement, "
        "effacer l'historique du navigateur sur les postes partagés.",
    },
    {
        "title": "Parcours d'apprentissage « premiers pas sur internet »",
        "tags": ["débutant", "parcours"],
        "category": "formation",
        "body": "Naviguer, faire une recherche, reconnaître une publicité, remplir un "
        "formulaire en ligne, télécharger un document.",
    },
    {
        "title": "Scolarité : utiliser l'ENT et Pronote",
        "tags": ["parentalité", "école"],
        "category": "formation",
        "body": "Accompagner les parents : consulter les notes, l'emploi du temps, les "
        "absences et échanger avec les enseignants sur l'espace numérique de travail.",
    },
    {
        "title": "Chèque énergie et aides pour les factures",
        "tags": ["énergie", "précarité"],
        "category": "procedure",
        "body": "Utiliser le chèque énergie en ligne, demander un échéancier au fournisseur, "
        "solliciter le fonds de solidarité logement.",
    },
    {
        "title": "Compte rendu du COPIL du 15 septembre",
        "tags": ["copil", "gouvernance"],
        "category": "compte-rendu",
        "body": "Validation de la charte juridique, lancement du serveur Discord des "
        "professionnels, désignation d'un référent par structure.",
    },
    {
        "title": "Repérer les situations d'illectronisme",
        "tags": ["illectronisme", "repérage"],
        "category": "diagnostic",
        "body": "Signaux d'alerte à l'accueil : difficulté à lire un SMS, absence d'adresse "
        "électronique, renoncement aux droits. Questions simples pour évaluer les besoins.",
    },
    {
        "title": "Fiche Ma Prime Rénov'",
        "tags": ["logement", "rénovation"],
        "category": "procedure",
        "body": "Créer son compte sur le site de l'Anah, devis d'artisans RGE, versement de la "
        "prime après travaux.",
    },
]

# (query, expected title, rank it must reach: 1 = first)
QUERIES: list[tuple[str, str, int]] = [
    ("mise à jour situation CAF", "Procédure CAF — mise à jour de situation", 1),
    ("mise a jour situation caf", "Procédure CAF — mise à jour de situation", 1),
    ("PIX", "Grille d'auto-diagnostic PIX", 1),
    ("autodiagnostic compétences numériques", "Grille d'auto-diagnostic PIX", 1),
    ("permanence", "Annuaire des permanences numériques de Mérignac", 1),
    ("permanences merignac", "Annuaire des permanences numériques de Mérignac", 1),
    ("compte rendu copil mars", "Compte rendu du COPIL du 12 mars", 1),
    ("ameli", "Créer son espace personnel sur ameli.fr", 1),
    ("attestation de droits assurance maladie", "Créer son espace personnel sur ameli.fr", 1),
    ("déclaration de revenus", "Déclarer ses revenus en ligne sur impots.gouv.fr", 1),
    ("impots", "Déclarer ses revenus en ligne sur impots.gouv.fr", 1),
    ("retraites", "Demande de retraite en ligne (info-retraite.fr)", 1),
    ("inscription pole emploi", "S'inscrire à France Travail (ex Pôle emploi)", 1),
    ("adresse mail", "Créer une adresse e-mail : fiche pas à pas", 1),
    ("mot de passe", "Sécuriser ses mots de passe", 1),
    ("charte aidants", "Charte de l'aidant numérique", 1),
    ("habilitation aidants connect", "Aidants Connect : habilitation des structures", 1),
    ("lettre information janvier", "Lettre d'information n°4 — janvier", 1),
    ("bus itinerant", "Plaquette du bus numérique itinérant", 1),
    ("complémentaire santé", "Obtenir la complémentaire santé solidaire", 1),
    ("mutuelle gratuite", "Obtenir la complémentaire santé solidaire", 1),
    ("APL logement", "Demander une aide au logement (APL)", 1),
    ("carte grise", "Carte grise et permis : démarches ANTS", 1),
    ("passeport", "Prendre rendez-vous pour une carte d'identité ou un passeport", 1),
    ("franceconnect", "FranceConnect : se connecter aux services publics", 1),
    ("tablettes seniors", "Atelier tablette pour les seniors", 1),
    ("allophone", "Kit d'accueil des personnes allophones", 1),
    ("orienter partenaire", "Orientation : qui fait quoi dans le réseau", 1),
    ("wifi gratuit", "Points wifi publics et ordinateurs en libre-service", 1),
    (
        "ordinateur reconditionné",
        "Reconditionnement d'ordinateurs : partenariat avec une association",
        1,
    ),
    ("cheques aptic", "Pass numérique : mode d'emploi", 1),
    ("rapport activité", "Rapport d'activité annuel de la médiation numérique", 1),
    ("RGPD", "Protection des données personnelles (RGPD) en accompagnement", 1),
    ("pronote", "Scolarité : utiliser l'ENT et Pronote", 1),
    ("cheque energie", "Chèque énergie et aides pour les factures", 1),
    ("illectronisme", "Repérer les situations d'illectronisme", 1),
    ("ma prime renov", "Fiche Ma Prime Rénov'", 1),
    # Typos: corrected against the titles, tags and descriptions.
    ("retraitte", "Demande de retraite en ligne (info-retraite.fr)", 1),
    ("illectronsime", "Repérer les situations d'illectronisme", 1),
    ("passport", "Prendre rendez-vous pour une carte d'identité ou un passeport", 1),
    ("complementaire santee", "Obtenir la complémentaire santé solidaire", 1),
    # Body-only words and derived forms.
    ("hameçonnage", "Créer une adresse e-mail : fiche pas à pas", 1),
    ("accompagner les parents", "Scolarité : utiliser l'ENT et Pronote", 1),
    ("septembre referent", "Compte rendu du COPIL du 15 septembre", 1),
    ("copil", "Compte rendu du COPIL du 12 mars", 2),
]
