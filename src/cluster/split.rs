//! Splitting a cluster again: when lines its members were matched on are learned as boilerplate
//! or furniture later, the members are matched anew on what is left of their texts.
//!
//! In: a cluster's members with their new fingerprints (`None` for a member left with too little
//! text of its own). Out: the groups that still match, oldest member first, by the rules an
//! arriving article is matched by: a member joins the group of the earliest member it matches
//! (containment, or distance for texts too short to sketch) when it fits that group as a whole
//! (see [`Clusterer::fits`]); otherwise it starts a group. The caller (`pipeline::split`) keeps
//! the cluster's id for the group holding its oldest member and gives the others new ids.

use super::{Clusterer, Slot};
use crate::document::{ArticleId, ClusterId};
use crate::fingerprint::facts::Facts;
use crate::fingerprint::{Fingerprint, Sketch};

/// Where one member of a re-checked cluster goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Placement {
    /// Into this cluster, with this fingerprint.
    In(ClusterId, Fingerprint),
    /// Out of the index: too little text of its own is left (it joins nothing).
    Alone,
}

impl Clusterer {
    /// The articles of a cluster with their fingerprints, in article order.
    pub fn members_of(&self, cluster: ClusterId) -> Vec<(ArticleId, Fingerprint)> {
        let mut out: Vec<(ArticleId, Fingerprint)> = self
            .members
            .get(cluster)
            .map(|s| {
                let slot = &self.slots[s as usize];
                (slot.article, self.fingerprint_of(slot))
            })
            .collect();
        out.sort_by_key(|(a, _)| *a);
        out
    }

    /// Members of a cluster (live articles).
    pub fn size_of(&self, cluster: ClusterId) -> usize {
        self.members.len_of(cluster)
    }

    fn fingerprint_of(&self, slot: &Slot) -> Fingerprint {
        Fingerprint {
            simhash: slot.simhash,
            shingles: 0,
            sketch: Sketch::from_unsorted(self.sketch(slot).to_vec()),
            facts: Facts::from_words(self.facts(slot).words().to_vec()),
        }
    }

    /// A new cluster id.
    pub fn new_cluster_id(&mut self) -> ClusterId {
        let c = ClusterId(self.next_cluster);
        self.next_cluster += 1;
        c
    }

    /// Groups fingerprints (in article order) the way arriving articles are grouped: each joins
    /// the first earlier group holding a member it matches and fitting it as a whole, or starts
    /// one. Returns the groups as indexes into `members`, in order of their first member.
    pub fn regroup(&self, members: &[&Fingerprint]) -> Vec<Vec<usize>> {
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for (i, fp) in members.iter().enumerate() {
            let joins = groups.iter().position(|g| {
                g.iter().any(|&j| self.pair_matches(fp, members[j]))
                    && 2 * g
                        .iter()
                        .filter(|&&j| {
                            self.containment_of(
                                (fp.sketch.values(), fp.simhash),
                                (members[j].sketch.values(), members[j].simhash),
                            ) >= self.params.bridge_containment
                        })
                        .count()
                        > g.len()
            });
            match joins {
                Some(g) => groups[g].push(i),
                None => groups.push(vec![i]),
            }
        }
        groups
    }

    /// True when two fingerprints match as a new article matches a stored one
    /// ([`Clusterer::verify`]): on their wording, then on their facts.
    fn pair_matches(&self, a: &Fingerprint, b: &Fingerprint) -> bool {
        let small = a.sketch.len().min(b.sketch.len());
        let (fa, fb) = (a.facts.view(), b.facts.view());
        let worded = if small < self.params.min_sketch {
            a.simhash.distance(b.simhash) <= self.params.max_hamming
        } else {
            let shared = crate::fingerprint::overlap(a.sketch.values(), b.sketch.values());
            shared >= self.need(small)
        };
        worded && !fa.headlines_disagree(fb) && !fa.is_template_of(fb)
    }

    /// Applies a re-check: every listed member leaves its slot and is put back where `plan`
    /// says, in the order given (article order keeps each cluster's members in the order a
    /// restart restores them).
    pub fn replace(&mut self, plan: &[(ArticleId, Placement)]) {
        for (article, _) in plan {
            if let Some(old) = self.by_article.remove(*article) {
                self.retire(old);
            }
        }
        for (article, placement) in plan {
            if let Placement::In(cluster, fp) = placement {
                self.add(*article, *cluster, fp);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::ClusterParams;
    use crate::fingerprint::fingerprint;
    use crate::normalize::normalize;

    fn fp(text: &str) -> Fingerprint {
        let n = normalize(text);
        fingerprint(n.paragraphs.iter().map(|p| p.tokens.as_slice()))
    }

    fn prose(seed: u64, n: usize) -> String {
        let mut st = seed;
        (0..n)
            .map(|_| {
                st = st
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                format!("w{}", (st >> 33) % 5000)
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn copies_stay_together_and_different_texts_part() {
        let c = Clusterer::new(ClusterParams::default());
        let (a, b) = (prose(1, 300), prose(2, 300));
        let fps = [fp(&a), fp(&b), fp(&a), fp(&format!("{b} {}", prose(3, 20)))];
        let groups = c.regroup(&fps.iter().collect::<Vec<_>>());
        assert_eq!(groups, vec![vec![0, 2], vec![1, 3]]);
    }

    #[test]
    fn replace_moves_members_and_takes_out_the_unreported() {
        let mut c = Clusterer::new(ClusterParams::default());
        let a = fp(&prose(1, 300));
        for i in 1..=3 {
            c.assign(ArticleId(i), &a);
        }
        assert_eq!(c.size_of(ClusterId(1)), 3);
        let n = c.new_cluster_id();
        let b = fp(&prose(2, 300));
        c.replace(&[
            (ArticleId(1), Placement::In(ClusterId(1), a.clone())),
            (ArticleId(2), Placement::In(n, b.clone())),
            (ArticleId(3), Placement::Alone),
        ]);
        assert_eq!(c.cluster_of(ArticleId(2)), Some(n));
        assert_eq!(c.cluster_of(ArticleId(3)), None);
        assert_eq!(c.members_of(ClusterId(1)).len(), 1);
        assert_eq!(c.assign(ArticleId(4), &b).cluster, n);
    }
}
